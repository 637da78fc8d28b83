import { type BullmqRedis, EventPublisher, registerJobCountGauge } from '@stagepass/events'
import type { FastifyBaseLogger } from 'fastify'
import type { BookingContext } from './context.js'
import { startDataPlatformConsumer } from './data-platform.js'
import { expireHold, sweepLapsedHolds } from './holds.js'
import { addExpiryJobProbe, paymentsReconciled } from './metrics.js'
import { OutboxRelay, pruneSentEvents } from './outbox.js'
import { reconcilePayments } from './payments.js'
import { PeriodicWork } from './periodic.js'

const PRUNE_INTERVAL_MS = 10 * 60 * 1000

export interface BookingWorkers {
  relay: OutboxRelay
  close(): Promise<void>
}

/**
 * Booking's background work, safe with any number of instances: the outbox relay (SKIP LOCKED),
 * hold expiry (a BullMQ job per hold), the periodic work run once per interval across instances
 * (the hold sweep, the payment reconciler, outbox retention) and the data-platform consumer. Every
 * step is conditional or idempotent, so a run that overlaps another (a slow one) does no harm.
 */
export function startBookingWorkers(
  booking: BookingContext,
  bus: BullmqRedis & { log: FastifyBaseLogger },
): BookingWorkers {
  const { db, settings, hooks, clock } = booking
  const now = () => new Date(clock.now())
  const { log } = bus
  const publisher = new EventPublisher(bus)
  registerJobCountGauge(publisher)
  const relay = new OutboxRelay({ db, sink: publisher, pollIntervalMs: settings.OUTBOX_POLL_INTERVAL_MS, log, clock })
  relay.start()

  booking.expiry.startWorker(async (reservationId) => {
    const { released, notBefore } = await expireHold(db, reservationId, now())
    if (released) hooks.holdReleased(released, 'job')
    return notBefore ? { notBefore } : {}
  })
  const removeExpiryProbe = addExpiryJobProbe(() => booking.expiry.jobCounts())

  const periodic = new PeriodicWork(
    [
      {
        name: 'hold-sweep',
        everyMs: settings.HOLD_SWEEP_INTERVAL_MS,
        run: async () => {
          for (const hold of await sweepLapsedHolds(db, now())) hooks.holdReleased(hold, 'sweep')
        },
      },
      {
        name: 'payment-reconciler',
        everyMs: settings.PAYMENT_RECONCILE_INTERVAL_MS,
        run: async () => {
          const olderThan = new Date(Date.now() - settings.PAYMENT_RECONCILE_AFTER_SECONDS * 1000)
          const report = await reconcilePayments({ db, points: booking.points, hooks, log }, { olderThan })
          for (const [outcome, n] of Object.entries(report)) if (n) paymentsReconciled.inc({ outcome }, n)
        },
      },
      {
        name: 'outbox-retention',
        everyMs: PRUNE_INTERVAL_MS,
        run: () => pruneSentEvents(db, new Date(Date.now() - settings.OUTBOX_RETENTION_HOURS * 3600 * 1000)),
      },
    ],
    bus,
  )

  const dataPlatform = startDataPlatformConsumer(db, bus)

  return {
    relay,
    async close() {
      await periodic.close()
      removeExpiryProbe()
      await dataPlatform.close()
      await relay.stop()
      await publisher.close()
    },
  }
}
