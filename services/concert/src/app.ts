import { dbPlugin, type MysqlConfig } from '@stagepass/db'
import type { BullmqRedis } from '@stagepass/events'
import type { FastifyPluginAsync } from 'fastify'
import { AvailabilityCache } from './availability-cache.js'
import { consumeAvailabilityEvents } from './availability-events.js'
import { publicRoutes } from './routes/public.js'

export interface ConcertAppOptions {
  mysql: MysqlConfig
  /** The deployment's Redis: the availability cache and the consumer of booking's events. */
  redis: BullmqRedis
  seatCache: { enabled: boolean; ttlMs: number }
  /**
   * Run the consumer of booking's events in this process, dropping cached availability when seats
   * are held, sold or released. On in the service process and in the monolith.
   */
  consumeEvents: boolean
}

/**
 * The concert context: the catalog (`concert`, `concert_option`, `seat`) and seat availability,
 * read from booking's reservations and cached in Redis. It never writes outside its tables.
 */
export const concertApp: FastifyPluginAsync<ConcertAppOptions> = async (fastify, opts) => {
  await fastify.register(dbPlugin, { config: opts.mysql })
  // Redis is not a readiness dependency: without it availability is read from MySQL.
  const cache = new AvailabilityCache({
    enabled: opts.seatCache.enabled,
    ttlMs: opts.seatCache.ttlMs,
    redis: opts.redis,
    log: fastify.log,
  })
  fastify.addHook('onClose', async () => cache.close())
  await fastify.register(publicRoutes, { cache })
  if (opts.consumeEvents) {
    const consumer = consumeAvailabilityEvents({
      db: fastify.db.concert,
      cache,
      ...opts.redis,
      log: fastify.log,
    })
    fastify.addHook('onClose', async () => {
      await consumer.close()
    })
  }
}
