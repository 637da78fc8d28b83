import { bookingApp, pointClientFromOperations } from '@stagepass/booking'
import { concertApp } from '@stagepass/concert'
import { dbPlugin } from '@stagepass/db'
import { bullmqRedisOf } from '@stagepass/events'
import { createPointOperations, pointApp } from '@stagepass/point'
import { queueApp } from '@stagepass/queue'
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config.js'

/**
 * Monolith mode: every context's plugin in this process under the same routes, sharing one MySQL
 * pool. Internal routes are not registered: contexts call each other in-process, through the same
 * operations those routes call (validation, metrics and refusals included).
 */
export async function registerMonolithMode(fastify: FastifyInstance, config: GatewayConfig) {
  await fastify.register(dbPlugin, { config })
  await fastify.register(pointApp, { mysql: config, settings: config, internalRoutes: false })
  await fastify.register(queueApp, {
    config,
    adminRoutes: false,
    adminListener: config.QUEUE_ADMIN_PORT ? { host: config.HOST, port: config.QUEUE_ADMIN_PORT } : undefined,
  })
  await fastify.register(concertApp, {
    mysql: config,
    redis: bullmqRedisOf(config),
    seatCache: { enabled: config.SEAT_CACHE_ENABLED, ttlMs: config.SEAT_CACHE_TTL_MS },
    consumeEvents: true,
  })
  await fastify.register(bookingApp, {
    mysql: config,
    redis: bullmqRedisOf(config),
    settings: config,
    // The payment saga's point calls stay in this process: point's operations, no HTTP.
    points: pointClientFromOperations(createPointOperations(fastify.db.point, fastify.log)),
    workers: true,
  })
}
