import createError from '@fastify/error'

/** Errors shared by every process. Domain errors live with their context. */
export const ValidationError = createError('VALIDATION_ERROR', '%s', 400)
export const NotFoundError = createError('NOT_FOUND', 'route %s %s not found', 404)
export const DatabaseUnavailableError = createError('DATABASE_UNAVAILABLE', 'database is unavailable', 503)
export const UpstreamUnavailableError = createError('UPSTREAM_UNAVAILABLE', '%s service is unavailable', 503)

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
])

/** True for mysql2 errors that mean "the database cannot be reached", as opposed to a bad query. */
export function isDatabaseConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, fatal } = err as { code?: unknown; fatal?: unknown }
  return (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || fatal === true
}
