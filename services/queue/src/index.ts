export const contextName = 'queue'
