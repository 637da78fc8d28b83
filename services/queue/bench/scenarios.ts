/**
 * The queue's benchmark: what to measure, on which targets, and the setup the guard scenario needs.
 * Shaped like the launcher's `BenchScenario` (structurally), so a bench suite can list these as is.
 *
 * Targets: `raw:queue` (bench/raw-queue-server-main.js), `direct:queue` (the queue service's own
 * port), `split` and `monolith` (through the gateway). The protected scenario needs a no-op route
 * behind the guard: `registerGuardProbe` adds it (and its unguarded twin) to a gateway built in
 * process; the raw server serves the same two paths.
 */
import { createQueueTokenSigner, parseQueueTokenKeys, QUEUE_USER_HEADER } from '@stagepass/kit'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { queueKeys } from '../src/keys.js'

export interface QueueBenchScenario {
  name: string
  method: 'GET' | 'POST'
  targets: string[]
  request: () => { path: string; body?: unknown; headers?: Record<string, string> }
  expected?: number[]
}

/** Users that poll: joined by `prepareQueueBench`, so status reads find them. */
export const POLLING_USERS = 10_000
/** Fresh joins come from a much larger range, so most of them make a new place in line. */
const JOINING_USERS = 10_000_000

const pick = <T>(values: readonly T[]) => values[Math.floor(Math.random() * values.length)] as T
const randomUser = (range: number) => 1 + Math.floor(Math.random() * range)

export const GUARD_PROBE = { guarded: '/concerts/bench-noop', open: '/bench-noop' }
export const GUARDED_NO_OP = 'protected no-op route (guard)'

/**
 * The scenarios. `tokens` are ACTIVE tokens from `prepareQueueBench`; the protected scenario cycles
 * through them (like browsing users), and its unguarded twin measures the same route without the
 * guard, so the difference is the guard's cost.
 */
export function queueBenchScenarios(tokens: readonly string[]): QueueBenchScenario[] {
  const gateways = ['split', 'monolith']
  return [
    {
      name: 'POST /queue/tokens (random users)',
      method: 'POST',
      targets: ['raw:queue', 'direct:queue', ...gateways],
      request: () => ({ path: '/queue/tokens', body: { userId: POLLING_USERS + randomUser(JOINING_USERS) } }),
    },
    {
      name: 'GET /queue/tokens/status/:userId',
      method: 'GET',
      targets: ['raw:queue', 'direct:queue', ...gateways],
      request: () => ({ path: `/queue/tokens/status/${randomUser(POLLING_USERS)}` }),
    },
    {
      name: GUARDED_NO_OP,
      method: 'GET',
      targets: ['raw:queue', ...gateways],
      request: () => ({ path: GUARD_PROBE.guarded, headers: { authorization: `Bearer ${pick(tokens)}` } }),
    },
    {
      // The same request (token header included) to a route outside the guarded prefixes.
      name: 'same no-op route, unguarded',
      method: 'GET',
      targets: ['raw:queue'],
      request: () => ({ path: GUARD_PROBE.open, headers: { authorization: `Bearer ${pick(tokens)}` } }),
    },
  ]
}

/**
 * Makes `userIds` ACTIVE for an hour, written straight into the queue's keys as an admission tick
 * would, and returns their tokens (same order). For benchmarks of protected routes.
 */
export async function admitUsersDirectly({
  redisUrl,
  redisPrefix,
  tokenKeys,
  userIds,
}: {
  redisUrl: string
  redisPrefix: string
  tokenKeys: string
  userIds: readonly number[]
}): Promise<string[]> {
  const redis = new Redis(redisUrl)
  const keys = queueKeys(redisPrefix)
  const signer = createQueueTokenSigner(parseQueueTokenKeys(tokenKeys))
  try {
    const first = (await redis.incrby(keys.sequence, userIds.length)) - userIds.length + 1
    const now = Date.now()
    const expires = now + 3600_000
    const batch = redis.pipeline()
    const tokens = userIds.map((userId, i) => {
      batch.zadd(keys.active, expires, userId)
      batch.hset(keys.activeTokens, String(userId), `${first + i}:${now}:${expires}`)
      return signer.sign(userId, first + i)
    })
    await batch.exec()
    return tokens
  } finally {
    redis.disconnect()
  }
}

/**
 * Before measuring: joins `POLLING_USERS` to the line and makes `activeUsers` of them ACTIVE,
 * returning their tokens. Admission should be paused on that prefix (PATCH /admin/queue
 * {paused: true}) so the line does not move while status reads are measured.
 */
export async function prepareQueueBench({
  redisUrl,
  redisPrefix,
  tokenKeys,
  activeUsers = 1000,
}: {
  redisUrl: string
  redisPrefix: string
  tokenKeys: string
  activeUsers?: number
}): Promise<string[]> {
  const users = Array.from({ length: POLLING_USERS }, (_, i) => i + 1)
  const tokens = await admitUsersDirectly({ redisUrl, redisPrefix, tokenKeys, userIds: users.slice(0, activeUsers) })
  const redis = new Redis(redisUrl)
  const keys = queueKeys(redisPrefix)
  try {
    const first = (await redis.incrby(keys.sequence, POLLING_USERS - activeUsers)) - (POLLING_USERS - activeUsers) + 1
    const now = Date.now()
    const line = redis.pipeline()
    users.slice(activeUsers).forEach((userId, i) => {
      line.zadd(keys.waiting, first + i, userId)
      line.zadd(keys.lastSeen, now + 3600_000, userId)
    })
    await line.exec()
    return tokens
  } finally {
    redis.disconnect()
  }
}

/**
 * Adds the no-op probe routes to a gateway built in process (`buildGateway`): one under a guarded
 * prefix (so the guard runs, from the route table's flag) and its unguarded twin.
 */
export function registerGuardProbe(app: FastifyInstance) {
  const handler = async (request: { headers: Record<string, unknown> }) => ({
    data: { user: request.headers[QUEUE_USER_HEADER] ?? null },
  })
  app.get(GUARD_PROBE.guarded, handler)
  app.get(GUARD_PROBE.open, handler)
}
