import {
  counter,
  errorBody,
  isRedisUnavailableError,
  queueUserOf,
  signedInUserOf,
  throttledWarning,
} from '@stagepass/kit'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { RouteEntry } from '../route-table.js'
import { clientAddressKey } from './client-address.js'
import type { GroupLimits, Limit, LimitKind } from './limit-rules.js'
import { ROUTE_GROUPS, type RouteGroup, routeGroupOf } from './route-groups.js'
import type { WindowCount, WindowCounter } from './window-counter.js'

const LIMIT_KINDS = ['ip', 'user'] as const satisfies readonly LimitKind[]

const limited = counter('gateway_rate_limited_total', 'Requests refused with 429, by route group and key kind', [
  'group',
  'key',
])
// Bound once: a flood of refusals should not hash label sets per request.
const limitedBy = Object.fromEntries(
  ROUTE_GROUPS.map((group) => [
    group,
    Object.fromEntries(LIMIT_KINDS.map((kind) => [kind, limited.labels({ group, key: kind })])),
  ]),
) as Record<RouteGroup, Record<LimitKind, { inc(): void }>>
const unchecked = counter(
  'gateway_rate_limit_unchecked_total',
  'Limited requests let through unchecked because Redis could not answer',
)

/** What a limited route can answer when its limit is reached (the public document lists it). */
export const RATE_LIMIT_REFUSALS = { 429: ['RATE_LIMITED'] } as const

export interface RateLimiterOptions {
  limits: Partial<Record<RouteGroup, GroupLimits>>
  countHits: WindowCounter
  /** `<REDIS_PREFIX>`: every counter lives under it. */
  redisPrefix: string
  routes: readonly RouteEntry[]
}

interface Check {
  kind: LimitKind
  limit: Limit
}

/**
 * Which limit the client is shown: the one with the fewest requests left; over two limits, the one
 * that resets later, since only then may the client come back.
 */
function shownCheck(checks: readonly Check[], counts: readonly WindowCount[]): number {
  const left = (i: number) => (checks[i] as Check).limit.max - (counts[i] as WindowCount).count
  const resetMs = (i: number) => (counts[i] as WindowCount).resetMs
  let shown = 0
  for (let i = 1; i < checks.length; i++) {
    const bothOver = left(i) < 0 && left(shown) < 0
    if (bothOver ? resetMs(i) > resetMs(shown) : left(i) < left(shown)) shown = i
  }
  return shown
}

/** A route group's counters (per address, per user) share this prefix, a hash tag: one slot on Redis Cluster. */
export const rateLimitKeyPrefix = (redisPrefix: string, group: RouteGroup) => `${redisPrefix}{rate-limit:${group}}:`

/**
 * An onRequest hook that counts each request against its group's limits, per client address and
 * per user, in one Redis script call (shared with the other requests of the same moment), and
 * refuses it with 429 RATE_LIMITED once either is spent.
 * It runs after the user-token check and the queue guard, so the user is the verified one (never a
 * userId from the path or body), and before body parsing, so a flood of garbage bodies counts too.
 * A Redis that cannot answer lets requests through unchecked (see docs/abuse-limits.md).
 */
export function createRateLimiter({ limits, countHits, redisPrefix, routes }: RateLimiterOptions) {
  const warnOutage = throttledWarning()
  const keyPrefix = Object.fromEntries(
    ROUTE_GROUPS.map((group) => [group, rateLimitKeyPrefix(redisPrefix, group)]),
  ) as Record<RouteGroup, string>

  const answer = (
    request: FastifyRequest,
    reply: FastifyReply,
    group: RouteGroup,
    checks: readonly Check[],
    counts: readonly WindowCount[],
  ) => {
    const index = shownCheck(checks, counts)
    const { kind, limit } = checks[index] as Check
    const { count, resetMs } = counts[index] as WindowCount
    const resetSeconds = Math.max(Math.ceil(resetMs / 1000), 1)
    reply.header('ratelimit-limit', limit.max)
    reply.header('ratelimit-remaining', Math.max(limit.max - count, 0))
    reply.header('ratelimit-reset', resetSeconds)
    if (count <= limit.max) return
    limitedBy[group][kind].inc()
    const who = kind === 'ip' ? 'address' : 'user'
    reply
      .code(429)
      .header('retry-after', resetSeconds)
      .send(errorBody(429, 'RATE_LIMITED', `too many ${group} requests from this ${who}; retry in ${resetSeconds} s`))
    request.log.debug({ group, kind }, 'rate limited')
  }

  const unavailable = (request: FastifyRequest, err: unknown) => {
    if (!isRedisUnavailableError(err)) throw err
    unchecked.inc()
    warnOutage(request.log, { err }, 'rate-limit store unreachable; limited routes pass unchecked')
  }

  return function limitRequestRate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const group = routeGroupOf(request, routes)
    const groupLimits = group && limits[group]
    if (!group || !groupLimits) {
      done()
      return
    }
    const checks: Check[] = []
    const keys: string[] = []
    if (groupLimits.ip) {
      checks.push({ kind: 'ip', limit: groupLimits.ip })
      keys.push(`${keyPrefix[group]}ip:${clientAddressKey(request.ip)}`)
    }
    const user = signedInUserOf(request) ?? queueUserOf(request)
    if (groupLimits.user && user !== undefined) {
      checks.push({ kind: 'user', limit: groupLimits.user })
      keys.push(`${keyPrefix[group]}user:${user}`)
    }
    if (checks.length === 0) {
      done()
      return
    }
    countHits(
      keyPrefix[group],
      keys,
      checks.map((check) => check.limit.windowMs),
    ).then(
      (counts) => {
        answer(request, reply, group, checks, counts)
        done()
      },
      (err) => {
        try {
          unavailable(request, err)
          done()
        } catch (unexpected) {
          done(unexpected as Error)
        }
      },
    )
  }
}
