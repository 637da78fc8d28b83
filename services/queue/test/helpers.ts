import { connectRedis, createServer, redisTargetOf } from '@stagepass/kit'
import { createTestRedisPrefix, serveOnFreePort } from '@stagepass/testkit'
import type { Test } from 'tap'
import { queueApp } from '../src/app.js'
import type { QueueConfig } from '../src/config.js'
import { createQueueStore } from '../src/store.js'

export const ADMIN_KEY = 'queue-test-admin-key-0123456789'
export const admin = { 'x-admin-key': ADMIN_KEY }

/** Settings for one test's queue, on a Redis prefix of its own. */
export function queueConfig(t: Test, overrides: Partial<QueueConfig> = {}): QueueConfig {
  const { url, prefix } = createTestRedisPrefix(t)
  return {
    REDIS_URL: url,
    REDIS_PREFIX: prefix,
    REDIS_CLUSTER_NODES: '',
    QUEUE_TOKEN_KEYS: 'test:queue-test-signing-secret-0123',
    QUEUE_ADMIN_KEY: ADMIN_KEY,
    QUEUE_ADMIT_PER_SECOND: 100,
    QUEUE_MAX_ACTIVE: 1000,
    QUEUE_ACTIVE_TTL_SECONDS: 600,
    QUEUE_ABANDON_AFTER_SECONDS: 120,
    QUEUE_TICK_MS: 50,
    QUEUE_POW_CHALLENGE_TTL_SECONDS: 120,
    QUEUE_LINE_CAPACITY: 1_000_000,
    ...overrides,
  }
}

/** One queue service instance in this process, on a real port, with its admin routes. */
export async function startQueueService(t: Test, config: QueueConfig) {
  const app = createServer({ service: 'queue', config: { LOG_LEVEL: 'warn', LOG_PRETTY: 'false' } })
  await app.register(queueApp, { config, adminRoutes: true })
  return serveOnFreePort(t, app)
}

/** Direct access to the same Redis state, for checking invariants and setting up a scene. */
export function inspectQueue(t: Test, config: QueueConfig) {
  // An ordinary client (with an offline queue): the test may use it before it has connected.
  const redis = connectRedis(redisTargetOf(config), {})
  t.teardown(() => redis.quit())
  const store = createQueueStore(redis, config.REDIS_PREFIX, {
    admitPerSecond: config.QUEUE_ADMIT_PER_SECOND,
    maxActive: config.QUEUE_MAX_ACTIVE,
    activeTtlSeconds: config.QUEUE_ACTIVE_TTL_SECONDS,
    abandonAfterSeconds: config.QUEUE_ABANDON_AFTER_SECONDS,
    lineCapacity: config.QUEUE_LINE_CAPACITY,
  })
  return { redis, store, keys: store.keys }
}
