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
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    lazyConnect: false,
    ...options,
  })
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
