import { bullmqRedisOf } from '@stagepass/events'
import {
  createQueueTokenSigner,
  createRedis,
  errorBody,
  handleError,
  parseQueueTokenKeys,
  redisReady,
  redisTargetOf,
  throttledWarning,
} from '@stagepass/kit'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { adminListener } from './admin-listener.js'
import { startAdmissionTicker } from './admission.js'
import type { QueueConfig } from './config.js'
import { QueueFullError } from './errors.js'
import { fullLineRefusals, reportRedisMemory } from './metrics.js'
import { createChallengeSigner } from './proof-of-work.js'
import { revokeTokensOnPayment } from './revocation.js'
import { adminRoutes } from './routes/admin.js'
import { operatorPage } from './routes/operator-page.js'
import { publicRoutes } from './routes/public.js'
import { createQueueStore } from './store.js'

export interface QueueAppOptions {
  config: QueueConfig
  /** `/admin/queue` on this server: the queue service's own port (split mode). */
  adminRoutes: boolean
  /** A port of its own for `/admin/queue` when this server's port is public (the monolith). */
  adminListener?: { host: string; port: number } | undefined
}

/**
 * The waiting room (Redis only): joining the line, status, admission ticks, expiry, abandonment,
 * revocation on `payment.completed`, and the operators' admin routes.
 */
export const queueApp: FastifyPluginAsync<QueueAppOptions> = async (fastify, opts) => {
  const { config } = opts
  const redis = createRedis(redisTargetOf(config))
  const warnUnreachable = throttledWarning()
  redis.on('error', (err) => warnUnreachable(fastify.log, { err }, 'queue store (Redis) unreachable'))
  const store = createQueueStore(redis, config.REDIS_PREFIX, {
    admitPerSecond: config.QUEUE_ADMIT_PER_SECOND,
    maxActive: config.QUEUE_MAX_ACTIVE,
    activeTtlSeconds: config.QUEUE_ACTIVE_TTL_SECONDS,
    abandonAfterSeconds: config.QUEUE_ABANDON_AFTER_SECONDS,
    lineCapacity: config.QUEUE_LINE_CAPACITY,
  })
  const tokenKeys = parseQueueTokenKeys(config.QUEUE_TOKEN_KEYS)
  const signer = createQueueTokenSigner(tokenKeys)
  // Challenges are signed with the token keys: one secret to rotate, the same way.
  const challenges = createChallengeSigner(tokenKeys)
  fastify.readiness.add('redis', () => redis.ping())
  const stopMemoryReport = reportRedisMemory(() => redis.info('memory'))
  // During an outage every request fails the same way: one warning every few seconds, not one error each.
  const warnOutage = throttledWarning()
  fastify.setErrorHandler<FastifyError>((err, request, reply) => {
    if (err instanceof QueueFullError) {
      // Expected under a flood, and counted: no log line per refusal.
      fullLineRefusals.inc()
      return reply
        .code(503)
        .header('retry-after', err.retryAfterSeconds)
        .send(errorBody(503, err.code, err.message))
    }
    if (err.code !== 'QUEUE_UNAVAILABLE') return handleError(err, request, reply)
    warnOutage(request.log, { err }, 'queue store unreachable; queue routes answer 503')
    return reply.code(503).send(errorBody(503, err.code, err.message))
  })

  await fastify.register(publicRoutes, {
    store,
    signer,
    challenges,
    challengeTtlMs: config.QUEUE_POW_CHALLENGE_TTL_SECONDS * 1000,
  })
  if (opts.adminRoutes) {
    await fastify.register(adminRoutes, { store, adminKey: config.QUEUE_ADMIN_KEY })
    await fastify.register(operatorPage)
  }
  if (opts.adminListener) {
    await fastify.register(adminListener, { store, adminKey: config.QUEUE_ADMIN_KEY, ...opts.adminListener })
  }

  let ticker: ReturnType<typeof startAdmissionTicker> | undefined
  let consumer: ReturnType<typeof revokeTokensOnPayment> | undefined
  fastify.addHook('onReady', async () => {
    // The first tick should find the connection up rather than log an outage that is not one.
    await redisReady(redis)
    ticker = startAdmissionTicker(store, { tickMs: config.QUEUE_TICK_MS, log: fastify.log })
    consumer = revokeTokensOnPayment(store, bullmqRedisOf(config), fastify.log)
  })
  fastify.addHook('onClose', async () => {
    stopMemoryReport()
    await ticker?.stop()
    // Within the events package's limit, even with Redis gone (closeBullmq).
    await consumer?.close()
    await redis.quit().catch(() => redis.disconnect())
  })
}
