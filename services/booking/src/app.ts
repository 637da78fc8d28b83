import { dbPlugin, type MysqlConfig } from '@stagepass/db'
import type { FastifyPluginAsync } from 'fastify'
import type { BookingSettings } from './config.js'
import type { BookingContext } from './context.js'
import { HoldExpiryQueue } from './hold-expiry.js'
import type { BookingHooks } from './hooks.js'
import { holdExpiries, holdReleases } from './metrics.js'
import type { PointClient } from './points.js'
import { paymentRoutes } from './routes/payments.js'
import { reservationRoutes } from './routes/reservations.js'
import { createTakenSeats } from './taken-seats.js'
import { type BookingWorkers, startBookingWorkers } from './workers.js'

export interface BookingAppOptions {
  mysql: MysqlConfig
  /** REDIS_URL and REDIS_PREFIX: BullMQ (hold expiry, events) lives under `<prefix>bull`. */
  redis: { url: string; prefix: string }
  settings: BookingSettings
  /** The point context: HTTP to its internal routes (split), or its ledger in-process (monolith). */
  points: PointClient
  /** Outbox relay, hold expiry, reconciler and the data-platform consumer in this process. */
  workers: boolean
  /** Test only: every payment fails right after the point use, as a crash there would. */
  failAfterPointUse?: boolean
}

/**
 * The booking context: seat holds, payments and the events they cause (`reservation`, `payment`,
 * `outbox`; reads `seat` from the catalog). Routes: `/concerts/reserve-seat`, `/payment/pay`,
 * `/reservations/:id`, all acting for the queue token's user.
 */
export const bookingApp: FastifyPluginAsync<BookingAppOptions> = async (fastify, opts) => {
  const { settings, redis } = opts
  await fastify.register(dbPlugin, { config: opts.mysql })
  const expiry = new HoldExpiryQueue({ redisUrl: redis.url, redisPrefix: redis.prefix, log: fastify.log })
  let workers: BookingWorkers | undefined
  const hooks: BookingHooks = {
    eventsCommitted: () => workers?.relay.nudge(),
    holdReleased: (_hold, trigger) => {
      holdExpiries.inc({ trigger })
      holdReleases.inc({ reason: 'EXPIRED' })
      workers?.relay.nudge()
    },
  }
  const booking: BookingContext = {
    db: fastify.db.booking,
    settings,
    points: opts.points,
    hooks,
    expiry,
    takenSeats: createTakenSeats(settings.TAKEN_SEAT_MEMORY_MS),
    failAfterPointUse: opts.failAfterPointUse === true,
  }
  await fastify.register(reservationRoutes, { booking })
  await fastify.register(paymentRoutes, { booking })
  if (opts.workers) {
    workers = startBookingWorkers(booking, {
      redisUrl: redis.url,
      redisPrefix: redis.prefix,
      log: fastify.log,
    })
  }
  // In a child context, so this runs before the database pool is closed.
  await fastify.register(async (child) => {
    child.addHook('onClose', async () => {
      await workers?.close()
      await expiry.close()
    })
  })
}
