import { appendRouteHook, createRedis, redisReady, redisTargetOf } from '@stagepass/kit'
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { type GatewayConfig, rateLimitsEnabled } from '../config.js'
import { routeEntryFor } from '../guard/guarded-routes.js'
import type { RouteEntry } from '../route-table.js'
import { type GroupLimits, parseGroupLimits } from './limit-rules.js'
import { createRateLimiter } from './rate-limiter.js'
import type { RouteGroup } from './route-groups.js'
import { createWindowCounter } from './window-counter.js'

export interface RateLimitPluginOptions {
  config: Pick<
    GatewayConfig,
    | 'REDIS_URL'
    | 'REDIS_CLUSTER_NODES'
    | 'REDIS_PREFIX'
    | 'RATE_LIMITS'
    | 'USER_AUTH'
    | 'RATE_LIMIT_JOIN'
    | 'RATE_LIMIT_STATUS'
    | 'RATE_LIMIT_CATALOG'
    | 'RATE_LIMIT_BOOKING'
    | 'RATE_LIMIT_POINTS'
  >
  routes: readonly RouteEntry[]
}

/**
 * The abuse limits in front of every route in the route table, in either mode. Registered after the
 * queue guard and the user-token check: the limiter joins each route's onRequest hooks behind
 * theirs, so it runs once the user is known (and a forged token has been refused without I/O), and
 * before the body is read. Counters live in the gateway's Redis, so every gateway instance shares them.
 */
export const rateLimitPlugin = fp<RateLimitPluginOptions>(
  async (fastify: FastifyInstance, { config, routes }) => {
    if (!rateLimitsEnabled(config)) return
    const limits: Record<RouteGroup, GroupLimits> = {
      join: parseGroupLimits(config.RATE_LIMIT_JOIN),
      status: parseGroupLimits(config.RATE_LIMIT_STATUS),
      catalog: parseGroupLimits(config.RATE_LIMIT_CATALOG),
      booking: parseGroupLimits(config.RATE_LIMIT_BOOKING),
      points: parseGroupLimits(config.RATE_LIMIT_POINTS),
    }
    const redis = createRedis(redisTargetOf(config))
    // Outages are reported by the limiter itself, once every few seconds, with the request that met them.
    redis.on('error', () => {})
    const limiter: onRequestHookHandler = createRateLimiter({
      limits,
      countHits: createWindowCounter(redis),
      redisPrefix: config.REDIS_PREFIX,
      routes,
    })
    fastify.addHook('onRoute', (route) => {
      if (routeEntryFor(route.url, routes)) appendRouteHook(route, 'onRequest', limiter)
    })
    fastify.addHook('onReady', () => redisReady(redis))
    fastify.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect())
    })
  },
  { name: 'stagepass-rate-limit', dependencies: ['stagepass-queue-guard'] },
)
