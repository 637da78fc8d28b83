import createError from '@fastify/error'

export const ConcertNotFoundError = createError('CONCERT_NOT_FOUND', 'concert %s not found', 404)
export const ConcertOptionNotFoundError = createError('CONCERT_OPTION_NOT_FOUND', 'concert option %s not found', 404)
