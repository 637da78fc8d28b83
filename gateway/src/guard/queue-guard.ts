import {
  bearerToken,
  type Clock,
  counter,
  isRedisUnavailableError,
  QUEUE_USER_HEADER,
  type QueueTokenRejection,
  type QueueTokenSigner,
  queueTokenRejection,
  systemClock,
  tallyCounter,
  throttledWarning,
} from '@stagepass/kit'
import type { TokenStateReader } from '@stagepass/queue'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { CachedTicket, TokenCache } from './token-cache.js'

// Counted on every protected request: a plain increment, folded into the metric when scraped.
const checks = tallyCounter(
  'gateway_queue_guard_checks_total',
  'Queue-token checks on protected routes, by outcome',
  'outcome',
  [
    'ACTIVE',
    'TOKEN_MISSING',
    'TOKEN_INVALID',
    'TOKEN_EXPIRED',
    'TOKEN_REVOKED',
    'TOKEN_NOT_ACTIVE',
    'QUEUE_UNAVAILABLE',
  ] as const,
)
const reads = counter(
  'gateway_queue_guard_reads_total',
  'Token states read from Redis by the guard (the rest were answered from its cache)',
)

export interface QueueGuardOptions {
  signer: QueueTokenSigner
  readTokenState: TokenStateReader
  cache: TokenCache
  /** Judges a token's `expiresAt` (set by the queue from its clock); the cache's clock. */
  clock?: Clock
}

/** A signature that does not check out: refused before any I/O, and never cached. */
class InvalidToken extends Error {}

/**
 * An onRequest hook that lets a request through only with an ACTIVE queue token, and names its
 * user to the upstream in QUEUE_USER_HEADER. The signature is checked in process first, so a forged
 * or garbled token is refused without any I/O; then one Redis read (or a cached answer, see
 * token-cache.ts) says whether the token is ACTIVE. A Redis that cannot answer means 503, never an
 * unchecked pass.
 *
 * Callback-style, so a cached answer passes without a promise. Refusals are answered here rather
 * than thrown: under a flood of bad tokens or during a Redis outage that saves an error object and
 * an error log line per request.
 */
export function createQueueGuard({ signer, readTokenState, cache, clock = systemClock }: QueueGuardOptions) {
  const warnOutage = throttledWarning()
  const refuse = (reply: FastifyReply, code: QueueTokenRejection, queueOrder?: number) => {
    checks.add(code)
    const body = queueTokenRejection(code, queueOrder)
    reply.code(body.statusCode).send(body)
  }

  const judge = (request: FastifyRequest, reply: FastifyReply, { userHeader, ticket }: CachedTicket) => {
    if (!ticket || (ticket.status === 'ACTIVE' && ticket.expiresAt <= clock.now())) {
      return refuse(reply, 'TOKEN_EXPIRED')
    }
    if (ticket.status === 'REVOKED') return refuse(reply, 'TOKEN_REVOKED')
    if (ticket.status === 'WAITING') return refuse(reply, 'TOKEN_NOT_ACTIVE', ticket.queueOrder)
    checks.add('ACTIVE')
    request.headers[QUEUE_USER_HEADER] = userHeader
  }

  const failed = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (err instanceof InvalidToken) return refuse(reply, 'TOKEN_INVALID')
    if (!isRedisUnavailableError(err)) throw err
    warnOutage(request.log, { err }, 'queue store unreachable; protected routes answer 503')
    refuse(reply, 'QUEUE_UNAVAILABLE')
  }

  return function requireActiveQueueToken(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const token = bearerToken(request.headers.authorization)
    if (!token) {
      refuse(reply, 'TOKEN_MISSING')
      done()
      return
    }
    const checked = cache.get(token, async () => {
      const claims = signer.verify(token)
      if (!claims) throw new InvalidToken()
      reads.inc()
      const ticket = await readTokenState(claims.userId, claims.tokenId)
      return { userId: claims.userId, userHeader: String(claims.userId), ticket }
    })
    if (!(checked instanceof Promise)) {
      judge(request, reply, checked)
      done()
      return
    }
    checked.then(
      (value) => {
        judge(request, reply, value)
        done()
      },
      (err) => {
        try {
          failed(request, reply, err)
          done()
        } catch (unexpected) {
          done(unexpected as Error)
        }
      },
    )
  }
}

export type QueueGuard = ReturnType<typeof createQueueGuard>
