import {
  bearerToken,
  counter,
  isRedisUnavailableError,
  QUEUE_USER_HEADER,
  type QueueTokenRejection,
  type QueueTokenSigner,
  queueTokenRejection,
} from '@stagepass/kit'
import type { TokenStateReader } from '@stagepass/queue'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { type CachedTicket, createTokenCache } from './token-cache.js'

const checks = counter('gateway_queue_guard_checks_total', 'Queue-token checks on protected routes, by outcome', [
  'outcome',
])

export interface QueueGuardOptions {
  signer: QueueTokenSigner
  readTokenState: TokenStateReader
  /** How long a check may be reused (≤ 1000 ms; 0 = every request reads Redis). */
  cacheMs: number
}

/** A signature that does not check out: refused before any I/O, and never cached. */
class InvalidToken extends Error {}

/**
 * Lets a request through only with an ACTIVE queue token, and names its user to the upstream in
 * QUEUE_USER_HEADER. The signature is checked in process first, so a forged or garbled token is
 * refused without any I/O; then one Redis read (or a cached one, ≤ 1 s old) says whether the
 * token is ACTIVE. A Redis that cannot answer means 503, never an unchecked pass.
 *
 * Refusals are answered here rather than thrown: under a flood of bad tokens or during a Redis
 * outage that saves an error object and an error log line per request.
 */
export function createQueueGuard({ signer, readTokenState, cacheMs }: QueueGuardOptions) {
  const cache = createTokenCache(cacheMs)
  let lastOutageLogged = 0
  const refuse = (reply: FastifyReply, code: QueueTokenRejection, queueOrder?: number) => {
    checks.inc({ outcome: code })
    const body = queueTokenRejection(code, queueOrder)
    return reply.code(body.statusCode).send(body)
  }

  return async function requireActiveQueueToken(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const token = bearerToken(request.headers.authorization)
    if (!token) return refuse(reply, 'TOKEN_MISSING')
    let checked: CachedTicket
    try {
      checked = await cache.get(token, async () => {
        const claims = signer.verify(token)
        if (!claims) throw new InvalidToken()
        return { userId: claims.userId, ticket: await readTokenState(claims.userId, claims.tokenId) }
      })
    } catch (err) {
      if (err instanceof InvalidToken) return refuse(reply, 'TOKEN_INVALID')
      if (!isRedisUnavailableError(err)) throw err
      if (Date.now() - lastOutageLogged > 5000) {
        lastOutageLogged = Date.now()
        request.log.warn({ err }, 'queue store unreachable; protected routes answer 503')
      }
      return refuse(reply, 'QUEUE_UNAVAILABLE')
    }
    const { userId, ticket } = checked
    if (!ticket || (ticket.status === 'ACTIVE' && ticket.expiresAt <= Date.now())) return refuse(reply, 'TOKEN_EXPIRED')
    if (ticket.status === 'WAITING') return refuse(reply, 'TOKEN_NOT_ACTIVE', ticket.queueOrder)
    checks.inc({ outcome: 'ACTIVE' })
    request.headers[QUEUE_USER_HEADER] = String(userId)
    return undefined
  }
}

export type QueueGuard = ReturnType<typeof createQueueGuard>
