import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preParsingHookHandler,
  preValidationHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { errorBody } from './error-handler.js'
import { tallyCounter } from './metrics.js'
import { appendRouteHook } from './route-hooks.js'
import {
  type AssertedRequest,
  createServiceAssertionVerifier,
  EMPTY_BODY_HASH,
  parseAssertionKeys,
  SERVICE_ASSERTION_HEADER,
  type ServiceAssertionRejection,
  type ServiceCaller,
} from './service-assertion.js'
import { throttledWarning } from './throttled-warning.js'

/**
 * The receiving side of service assertions, for a context's own process (split mode). Each route
 * is given its check as it is declared:
 * - `/internal/*` (contexts calling each other) answers only booking, with its body bound;
 * - `/health/*`, `/metrics` (probes, Prometheus) and `/admin/*` (its own admin key) are exempt;
 * - every other route is public and answers only requests the gateway passed on.
 * The monolith registers no such check: nothing reaches its contexts but through its own edge.
 */
export interface ServiceTrustOptions {
  /** This context's name, the audience an assertion must be meant for. */
  audience: string
  /** GATEWAY_ASSERTION_KEYS. */
  gatewayKeys: string
  /** BOOKING_ASSERTION_KEYS, for a context with internal routes (point). */
  bookingKeys?: string
}

type Refusal = ServiceAssertionRejection | 'SERVICE_CALLER_FORBIDDEN'

const MESSAGES: Record<Refusal, [number, string]> = {
  SERVICE_ASSERTION_MISSING: [401, 'this route only answers requests from %s'],
  SERVICE_ASSERTION_INVALID: [401, 'the service assertion is not valid for this request'],
  SERVICE_ASSERTION_EXPIRED: [401, 'the service assertion has expired'],
  SERVICE_CALLER_FORBIDDEN: [403, 'this route only answers requests from %s'],
}
const CALLERS: Record<ServiceCaller, string> = {
  gateway: 'the gateway',
  booking: 'the booking context',
}

const refusals = tallyCounter(
  'service_assertion_refusals_total',
  'Requests refused for a missing, invalid, expired or misplaced service assertion, by code',
  'code',
  Object.keys(MESSAGES) as Refusal[],
)

const EXEMPT = ['/health/', '/metrics', '/admin/']

/** Which caller a route answers, or undefined for an exempt one. */
export function callerFor(url: string): ServiceCaller | undefined {
  if (EXEMPT.some((prefix) => url.startsWith(prefix))) return undefined
  return url.startsWith('/internal/') ? 'booking' : 'gateway'
}

const BODY_HASH = Symbol('stagepass.bodyHash')
type HashedRequest = FastifyRequest & { [BODY_HASH]?: string }

export const serviceTrustPlugin = fp<ServiceTrustOptions>(
  async (fastify: FastifyInstance, { audience, gatewayKeys, bookingKeys }) => {
    const verifier = createServiceAssertionVerifier({
      gateway: parseAssertionKeys(gatewayKeys),
      ...(bookingKeys ? { booking: parseAssertionKeys(bookingKeys) } : {}),
    })
    const warnRefused = throttledWarning()

    const refuse = (request: FastifyRequest, reply: FastifyReply, code: Refusal, expected: ServiceCaller) => {
      refusals.add(code)
      warnRefused(
        request.log,
        { code, url: request.url, from: request.ip },
        'request without a valid service assertion refused',
      )
      const [status, message] = MESSAGES[code]
      reply.code(status).send(errorBody(status, code, message.replace('%s', CALLERS[expected])))
    }

    /** Refuses (and answers) a request whose assertion is not the expected caller's for it. */
    const check = (request: FastifyRequest, reply: FastifyReply, expected: ServiceCaller, hash?: string) => {
      const asserted: AssertedRequest = {
        audience,
        method: request.method,
        url: request.url,
        headers: request.headers,
        bodyHash: hash,
      }
      const verdict = verifier.verify(request.headers[SERVICE_ASSERTION_HEADER], asserted)
      if ('rejection' in verdict) refuse(request, reply, verdict.rejection, expected)
      else if (verdict.caller !== expected) refuse(request, reply, 'SERVICE_CALLER_FORBIDDEN', expected)
    }

    const fromGateway: onRequestHookHandler = (request, reply, done) => {
      check(request, reply, 'gateway')
      done()
    }

    // The body is hashed as it is read, then the assertion is checked before validation runs.
    const hashBody: preParsingHookHandler = (request, _reply, payload, done) => {
      const hash = createHash('sha256')
      const tap = new Transform({
        transform(chunk, _encoding, callback) {
          hash.update(chunk)
          callback(null, chunk)
        },
        flush(callback) {
          ;(request as HashedRequest)[BODY_HASH] = hash.digest('base64url')
          callback()
        },
      })
      payload.on('error', (err) => tap.destroy(err))
      done(null, payload.pipe(tap))
    }
    const fromBooking: preValidationHookHandler = (request, reply, done) => {
      check(request, reply, 'booking', (request as HashedRequest)[BODY_HASH] ?? EMPTY_BODY_HASH)
      done()
    }

    fastify.addHook('onRoute', (route) => {
      const caller = callerFor(route.url ?? route.path)
      if (caller === 'gateway') appendRouteHook(route, 'onRequest', fromGateway)
      if (caller === 'booking') {
        appendRouteHook(route, 'preParsing', hashBody)
        appendRouteHook(route, 'preValidation', fromBooking)
      }
    })
  },
  { name: 'stagepass-service-trust' },
)
