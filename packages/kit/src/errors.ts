import createError from '@fastify/error'

/** Errors shared by every process. Domain errors live with their context. */
export const ValidationError = createError('VALIDATION_ERROR', '%s', 400)
export const UpstreamUnavailableError = createError('UPSTREAM_UNAVAILABLE', '%s service is unavailable', 503)

/** Why a request was refused with 503 `DATABASE_BUSY` (the `reason` label of `db_busy_total`). */
export type DatabaseBusyReason = 'queue_full' | 'queue_timeout' | 'lock_wait_timeout' | 'statement_timeout'

/** Seconds a client refused with `DATABASE_BUSY` is told to wait (`Retry-After`). */
export const DATABASE_BUSY_RETRY_AFTER_SECONDS = 1

/** The pool refused to queue a request, or gave up waiting for a connection: the database is saturated. */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError'
  readonly code = 'DATABASE_BUSY'
  readonly reason: DatabaseBusyReason
  constructor(reason: DatabaseBusyReason) {
    super(`database is busy (${reason})`)
    this.reason = reason
  }
}

/**
 * Another context's database was busy behind an internal call (point's, for booking's payment): the
 * caller answers the same 503 `DATABASE_BUSY` the monolith does, and leaves the counting to the
 * context whose database it was.
 */
export class UpstreamDatabaseBusyError extends Error {
  override name = 'UpstreamDatabaseBusyError'
  readonly code = 'DATABASE_BUSY'
  constructor(context: string) {
    super(`${context}'s database is busy`)
  }
}

// ER_LOCK_WAIT_TIMEOUT; MariaDB's max_statement_time and MySQL's max_execution_time.
const BUSY_ERRNOS = new Map<number, DatabaseBusyReason>([
  [1205, 'lock_wait_timeout'],
  [1969, 'statement_timeout'],
  [3024, 'statement_timeout'],
])

/**
 * The reason when `err` means "the database is saturated" (the pool's queue is full or too slow, a
 * statement ran out of time waiting for a lock or working): answered 503 `DATABASE_BUSY`, never 500.
 */
export function databaseBusyReason(err: unknown): DatabaseBusyReason | undefined {
  if (err instanceof DatabaseBusyError) return err.reason
  if (typeof err !== 'object' || err === null) return undefined
  const { code, reason, errno } = err as { code?: unknown; reason?: unknown; errno?: unknown }
  if (code === 'DATABASE_BUSY' && typeof reason === 'string') return reason as DatabaseBusyReason
  return typeof errno === 'number' ? BUSY_ERRNOS.get(errno) : undefined
}

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
