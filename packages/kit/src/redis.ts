import { once } from 'node:events'
import { Redis, type RedisOptions } from 'ioredis'

/**
 * A Redis client for request paths: commands fail at once while Redis is unreachable (no offline
 * queue, one retry), so callers answer 503 fast; it reconnects in the background by itself.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    // A refused or dropped connection fails at once (no offline queue); this bounds only a Redis that
    // hangs. Generous, so a burst on a saturated machine is not mistaken for an outage.
    commandTimeout: 2500,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    lazyConnect: false,
    ...options,
  })
}

/**
 * Waits (at most `timeoutMs`) for a request-path client to connect, so the first requests after
 * start-up find the connection up rather than fail fast for an outage that is not one.
 */
export async function redisReady(redis: Redis, timeoutMs = 1000): Promise<void> {
  if (redis.status === 'ready') return
  await Promise.race([
    once(redis, 'ready').catch(() => {}),
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  ])
}

/** A client for BullMQ workers, which block on Redis and must retry forever. */
export function createBlockingRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: false,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    ...options,
  })
}

// Replies that mean "this Redis cannot serve you right now", as opposed to a bad command.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
])
const CONNECTION_MESSAGES =
  /Connection is closed|Stream isn't writeable|Command timed out|max retries per request|connect ETIMEDOUT/i

/**
 * True when a Redis call failed because Redis could not be reached or could not serve (refused,
 * reset, timed out, offline, loading, out of memory), so the caller should answer 503; false for
 * anything that points at a bug instead.
 */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(err.message)
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError') return true
  const code = (err as { code?: unknown }).code
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(err.message)
}
