import { once } from 'node:events'
import { createQueueTokenSigner, createRedis, parseQueueTokenKeys } from '@stagepass/kit'
import { createTokenStateReader } from '@stagepass/queue'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { GatewayConfig } from '../config.js'
import type { RouteEntry } from '../route-table.js'
import { needsQueueToken } from './guarded-routes.js'
import { createQueueGuard, type QueueGuard } from './queue-guard.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: passes only requests with an ACTIVE queue token, naming their user upstream. */
    requireActiveQueueToken: QueueGuard
  }
}

export interface QueueGuardPluginOptions {
  config: Pick<GatewayConfig, 'REDIS_URL' | 'REDIS_PREFIX' | 'QUEUE_TOKEN_KEYS' | 'QUEUE_GUARD_CACHE_MS'>
  /** The route table: every prefix flagged `guarded` needs an ACTIVE token, in either mode. */
  routes: readonly RouteEntry[]
}

/** The queue-token guard in front of every protected prefix, ahead of routing to any context. */
export const queueGuardPlugin = fp<QueueGuardPluginOptions>(
  async (fastify: FastifyInstance, { config, routes }) => {
    const redis = createRedis(config.REDIS_URL)
    // Outages are reported by the guard itself, once every few seconds, with the request that met them.
    redis.on('error', () => {})
    const guard = createQueueGuard({
      signer: createQueueTokenSigner(parseQueueTokenKeys(config.QUEUE_TOKEN_KEYS)),
      readTokenState: createTokenStateReader(redis, config.REDIS_PREFIX),
      cacheMs: config.QUEUE_GUARD_CACHE_MS,
    })
    fastify.decorate('requireActiveQueueToken', guard)
    fastify.addHook('onRequest', async (request, reply) => {
      if (needsQueueToken(request, routes)) return guard(request, reply)
    })
    fastify.addHook('onReady', async () => {
      // The first requests should find the connection up rather than answer 503 for an outage that is not one.
      if (redis.status !== 'ready') {
        await Promise.race([
          once(redis, 'ready').catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, 1000).unref()),
        ])
      }
    })
    fastify.readiness.add('queue-guard', () => redis.ping())
    fastify.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect())
    })
  },
  { name: 'stagepass-queue-guard', dependencies: ['stagepass-health'] },
)
