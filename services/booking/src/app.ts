import { dbPlugin, type MysqlConfig } from '@stagepass/db'
import type { BullmqRedis } from '@stagepass/events'
import { type Clock, systemClock } from '@stagepass/kit'
import type { FastifyPluginAsync } from 'fastify'
import type { BookingSettings } from './config.js'
import type { BookingContext } from './context.js'
import { holdBatches } from './hold-batches.js'
import { HoldExpiryQueue } from './hold-expiry.js'
import type { BookingHooks } from './hooks.js'
import { holdExpiries, holdReleases } from './metrics.js'
import { paymentBatches } from './payment-batches.js'
import type { PointClient } from './points.js'
import { paymentRoutes } from './routes/payments.js'
import { reservationRoutes } from './routes/reservations.js'
import { createTakenSeats } from './taken-seats.js'
import { type BookingWorkers, startBookingWorkers } from './workers.js'

export interface BookingAppOptions {
  mysql: MysqlConfig
  /** REDIS_URL, REDIS_CLUSTER_NODES and REDIS_PREFIX: BullMQ (hold expiry, events) lives under `<prefix>bull`. */
  redis: BullmqRedis
  settings: BookingSettings
  /** The point context: HTTP to its internal routes (split), or its ledger in-process (monolith). */
  points: PointClient
  /** Outbox relay, hold expiry, reconciler and the data-platform consumer in this process. */
  workers: boolean
  /** Test only: every payment fails right after the point use, as a crash there would. */
  failAfterPointUse?: boolean
  /** Judges holds, their memory and their expiry jobs; the system clock unless a test moves its own. */
  clock?: Clock
}

/**
 * The booking context: seat holds, payments and the events they cause (`reservation`, `payment`,
 * `outbox`; reads `seat` from the catalog). Routes: `/concerts/reserve-seat`, `/payment/pay`,
 * `/reservations/:id`, all acting for the queue token's user.
 */
export const bookingApp: FastifyPluginAsync<BookingAppOptions> = async (fastify, opts) => {
  const { settings, redis } = opts
  const clock = opts.clock ?? systemClock
  await fastify.register(dbPlugin, { config: opts.mysql })
  const expiry = new HoldExpiryQueue({ ...redis, log: fastify.log, clock })
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
    takenSeats: createTakenSeats(settings.TAKEN_SEAT_MEMORY_MS, { clock }),
    holdBatches: holdBatches(fastify.db.booking),
    paymentBatches: paymentBatches(fastify.db.booking),
    failAfterPointUse: opts.failAfterPointUse === true,
    clock,
  }
  await fastify.register(reservationRoutes, { booking })
  await fastify.register(paymentRoutes, { booking })
  if (opts.workers) {
    workers = startBookingWorkers(booking, {
      ...redis,
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
