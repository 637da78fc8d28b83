import { connectRedis, createServer, redisTargetOf } from '@stagepass/kit'
import { createTestRedisPrefix, type RedisCluster, serveOnFreePort } from '@stagepass/testkit'
import { Redis } from 'ioredis'
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

/**
 * How many times each command ran on a Redis Cluster's nodes while `work` ran, by the nodes' own
 * statistics: on a cluster a test starts for itself, they are that test's commands alone.
 */
export async function commandsRun(
  cluster: RedisCluster,
  work: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const nodes = cluster.ports.map((port) => new Redis(port, '127.0.0.1'))
  try {
    await Promise.all(nodes.map((node) => node.config('RESETSTAT')))
    await work()
    const calls: Record<string, number> = {}
    for (const info of await Promise.all(nodes.map((node) => node.info('commandstats')))) {
      for (const [, command, n] of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
        calls[command as string] = (calls[command as string] ?? 0) + Number(n)
      }
    }
    return calls
  } finally {
    for (const node of nodes) node.disconnect()
  }
}
