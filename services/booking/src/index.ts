export const contextName = 'booking'
