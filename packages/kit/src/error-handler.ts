import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  DATABASE_BUSY_RETRY_AFTER_SECONDS,
  type DatabaseBusyReason,
  databaseBusyReason,
  isDatabaseConnectionError,
  UpstreamDatabaseBusyError,
} from './errors.js'
import { tallyCounter } from './metrics.js'

const BUSY_REASONS: readonly DatabaseBusyReason[] = [
  'queue_full',
  'queue_timeout',
  'lock_wait_timeout',
  'statement_timeout',
]
const databaseBusy = tallyCounter(
  'db_busy_total',
  'Requests refused with 503 DATABASE_BUSY, by reason: queue_full, queue_timeout (no pool connection in time), lock_wait_timeout, statement_timeout',
  'reason',
  BUSY_REASONS,
)

export interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
}

export function errorBody(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/**
 * Ajv's message, except that a field the schema does not know is named: "querystring must NOT have
 * additional properties" does not tell the client which one.
 */
function validationMessage(err: FastifyError): string {
  const [first] = err.validation ?? []
  const extra = first?.keyword === 'additionalProperties' ? first.params.additionalProperty : undefined
  if (typeof extra !== 'string') return err.message
  const where = `${err.validationContext ?? 'request'}${first?.instancePath.replaceAll('/', '.') ?? ''}`
  return `${where} must NOT have additional property "${extra}"`
}

/** Fastify's own request-parsing failures (bad JSON, wrong content type, empty body) are client errors. */
function isRequestParsingError(err: FastifyError): boolean {
  return typeof err.code === 'string' && err.code.startsWith('FST_ERR_CTP_')
}

/**
 * The error handler `createServer` gives every server: a thrown error leaves in the documented shape.
 * Below 500 the message is shown; at 500 it is logged with the request and replaced, so no stack, SQL
 * or hostname leaks. The queue context's handler answers its own 503s first and passes the rest here;
 * answers that are not thrown errors (the gateway's upstream failures, `SHUTTING_DOWN`, readiness) are
 * built with `errorBody` where they are made.
 */
export function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err.validation) {
    return reply.code(400).send(errorBody(400, 'VALIDATION_ERROR', validationMessage(err)))
  }
  if (isRequestParsingError(err)) {
    const message =
      err.statusCode === 415 ? `unsupported content type: ${request.headers['content-type'] ?? 'none'}` : err.message
    const status = err.statusCode === 413 ? 413 : 400
    return reply.code(status).send(errorBody(status, 'VALIDATION_ERROR', message))
  }
  const busy = databaseBusyReason(err)
  if (busy || err instanceof UpstreamDatabaseBusyError) {
    // Counted where the database is, not logged: a flood of refusals would flood the log too.
    if (busy) databaseBusy.add(busy)
    request.log.debug({ reason: busy ?? 'upstream' }, 'database busy')
    return reply
      .code(503)
      .header('retry-after', DATABASE_BUSY_RETRY_AFTER_SECONDS)
      .send(errorBody(503, 'DATABASE_BUSY', `database is busy; retry in ${DATABASE_BUSY_RETRY_AFTER_SECONDS} s`))
  }
  if (isDatabaseConnectionError(err)) {
    request.log.error({ err }, 'database unavailable')
    return reply.code(503).send(errorBody(503, 'DATABASE_UNAVAILABLE', 'database is unavailable'))
  }
  const statusCode = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
  if (statusCode >= 500) {
    request.log.error({ err }, 'request failed')
  }
  const code = statusCode === 500 ? 'INTERNAL_ERROR' : (err.code ?? 'ERROR')
  const message = statusCode === 500 ? 'internal server error' : err.message
  return reply.code(statusCode).send(errorBody(statusCode, code, message))
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  return reply
    .code(404)
    .send(errorBody(404, 'NOT_FOUND', `route ${request.method} ${request.url.split('?')[0]} not found`))
}
