import {
  appendRouteHook,
  createQueueTokenSigner,
  createRedis,
  handleNotFound,
  parseQueueTokenKeys,
  redisReady,
  redisTargetOf,
} from '@stagepass/kit'
import { createRevocationReader, createTokenStateReader } from '@stagepass/queue'
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { GatewayConfig } from '../config.js'
import type { RouteEntry } from '../route-table.js'
import { guardedPrefixes, routeEntryFor } from './guarded-routes.js'
import { createQueueGuard } from './queue-guard.js'
import { followRevocations } from './revocation-feed.js'
import { createTokenCache } from './token-cache.js'

export interface QueueGuardPluginOptions {
  config: Pick<
    GatewayConfig,
    'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_PREFIX' | 'QUEUE_TOKEN_KEYS' | 'QUEUE_GUARD_CACHE_MS'
  >
  /** The route table: every prefix flagged `guarded` needs an ACTIVE token, in either mode. */
  routes: readonly RouteEntry[]
}

/**
 * The queue-token guard in front of every protected prefix, in either mode. It is attached to the
 * protected routes themselves as they are declared (the router has already matched and decoded
 * the path, so `/%63oncerts` cannot slip past, and unprotected routes pay nothing), and to the
 * not-found handler of each protected prefix, so an unknown path under one answers like a known one.
 */
export const queueGuardPlugin = fp<QueueGuardPluginOptions>(
  async (fastify: FastifyInstance, { config, routes }) => {
    const redis = createRedis(redisTargetOf(config))
    // Outages are reported by the guard itself, once every few seconds, with the request that met them.
    redis.on('error', () => {})
    const cache = createTokenCache(config.QUEUE_GUARD_CACHE_MS)
    const guard: onRequestHookHandler = createQueueGuard({
      signer: createQueueTokenSigner(parseQueueTokenKeys(config.QUEUE_TOKEN_KEYS)),
      readTokenState: createTokenStateReader(redis, config.REDIS_PREFIX),
      cache,
    })
    const feed = followRevocations(createRevocationReader(redis, config.REDIS_PREFIX), cache)
    redis.on('close', () => feed.lost())

    fastify.addHook('onRoute', (route) => {
      if (routeEntryFor(route.url, routes)?.guarded) appendRouteHook(route, 'onRequest', guard)
    })
    for (const prefix of guardedPrefixes(routes)) {
      await fastify.register(
        async (scope) => {
          scope.setNotFoundHandler({ preValidation: guard }, handleNotFound)
        },
        { prefix },
      )
    }

    fastify.addHook('onReady', async () => {
      await redisReady(redis)
      await feed.poll()
    })
    fastify.readiness.add('queue-guard', () => redis.ping())
    fastify.addHook('onClose', async () => {
      feed.stop()
      await redis.quit().catch(() => redis.disconnect())
    })
  },
  { name: 'stagepass-queue-guard', dependencies: ['stagepass-health'] },
)
