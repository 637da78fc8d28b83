export const contextName = 'concert'
