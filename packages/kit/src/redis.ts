import { once } from 'node:events'
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'

/** A connection to the deployment's Redis: one server, or a Redis Cluster. Both run the same commands and scripts. */
export type RedisClient = Redis | Cluster

/** Where the deployment's Redis is: `REDIS_URL`, and `REDIS_CLUSTER_NODES` when it is a cluster. */
export interface RedisTarget {
  url: string
  /** Startup nodes, `host:port,host:port…`; empty or absent means the single Redis at `url`. */
  clusterNodes?: string | undefined
}

export const redisTargetOf = (config: { REDIS_URL: string; REDIS_CLUSTER_NODES: string }): RedisTarget => ({
  url: config.REDIS_URL,
  clusterNodes: config.REDIS_CLUSTER_NODES,
})

/** The startup nodes of a cluster target; none for a single Redis. */
export function clusterNodesOf(target: RedisTarget): Array<{ host: string; port: number }> {
  return (target.clusterNodes ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const at = node.lastIndexOf(':')
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) }
    })
}

export const isCluster = (target: RedisTarget) => clusterNodesOf(target).length > 0

/**
 * Opens a connection to `target`. For a cluster, `options` are each node's (with the password, user
 * and TLS of REDIS_URL), except those that are the cluster's own: its retry strategy, offline queue,
 * lazy connect and ready check. `cluster` adds cluster-only options.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions, cluster: ClusterOptions = {}): RedisClient {
  const nodes = clusterNodesOf(target)
  if (!nodes.length) return new Redis(target.url, options)
  const url = new URL(target.url)
  const { retryStrategy, enableOfflineQueue, lazyConnect, enableReadyCheck, ...nodeOptions } = options
  return new Cluster(nodes, {
    redisOptions: {
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      ...nodeOptions,
    },
    // Reads go to masters: a replica may not have the write a poll just made yet.
    scaleReads: 'master',
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
    ...cluster,
  })
}

/**
 * A Redis client for request paths: commands fail at once while Redis is unreachable (no offline
 * queue, one retry), so callers answer 503 fast; it reconnects in the background by itself. On a
 * cluster a command follows at most a few redirections or failover retries (100 ms apart) before
 * it fails the same way.
 */
export function createRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  return connectRedis(
    target,
    {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      // A refused or dropped connection fails at once (no offline queue); this bounds only a Redis that
      // hangs. Generous, so a burst on a saturated machine is not mistaken for an outage.
      commandTimeout: 2500,
      retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
      lazyConnect: false,
      ...options,
    },
    { maxRedirections: 6, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100 },
  )
}

/**
 * Waits (at most `timeoutMs`) for a request-path client to connect, so the first requests after
 * start-up find the connection up rather than fail fast for an outage that is not one.
 */
export async function redisReady(redis: RedisClient, timeoutMs = 1000): Promise<void> {
  if (redis.status === 'ready') return
  await Promise.race([
    once(redis, 'ready').catch(() => {}),
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  ])
}

/** A client for BullMQ workers, which block on Redis and must retry forever. */
export function createBlockingRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  return connectRedis(target, {
    maxRetriesPerRequest: null,
    enableReadyCheck: false,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    ...options,
  })
}

// Replies that mean "this Redis cannot serve you right now", as opposed to a bad command (CROSSSLOT is
// one; so is a MOVED that reaches the caller: REDIS_URL names a cluster node but REDIS_CLUSTER_NODES is empty).
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
// A cluster whose slots moved under the command more often than it follows, or that has no node to ask.
const CLUSTER_MESSAGES =
  /Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready/i

/**
 * True when a Redis call failed because Redis could not be reached or could not serve (refused,
 * reset, timed out, offline, loading, out of memory, a cluster failing over or down), so the caller
 * should answer 503; false for anything that points at a bug instead.
 */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(err.message)
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError') return true
  if (err.name === 'ClusterAllFailedError') return true
  const code = (err as { code?: unknown }).code
  return (
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    CONNECTION_MESSAGES.test(err.message) ||
    CLUSTER_MESSAGES.test(err.message)
  )
}
