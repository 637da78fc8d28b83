import createError from '@fastify/error'

export const TokenNotFoundError = createError('TOKEN_NOT_FOUND', 'user %s has no queue token', 404)
export const AdminUnauthorizedError = createError('ADMIN_UNAUTHORIZED', 'a valid x-admin-key header is required', 401)
