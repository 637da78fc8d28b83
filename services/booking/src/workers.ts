import { EventPublisher, registerJobCountGauge } from '@stagepass/events'
import type { FastifyBaseLogger } from 'fastify'
import type { BookingContext } from './context.js'
import { startDataPlatformConsumer } from './data-platform.js'
import { expireHold, sweepLapsedHolds } from './holds.js'
import { addExpiryJobProbe, paymentsReconciled } from './metrics.js'
import { OutboxRelay, pruneSentEvents } from './outbox.js'
import { reconcilePayments } from './payments.js'

const PRUNE_INTERVAL_MS = 10 * 60 * 1000

/** Runs `task` every `ms` (never two at once), with jitter so instances do not tick in step. */
function every(ms: number, task: () => Promise<unknown>, log: FastifyBaseLogger, name: string) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(
      () => {
        running = task()
          .catch((err) => log.warn({ err }, `${name} failed; will retry`))
          .finally(() => {
            running = undefined
            schedule()
          })
      },
      ms * (0.8 + Math.random() * 0.4),
    )
  }
  schedule()
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}

export interface BookingWorkers {
  relay: OutboxRelay
  close(): Promise<void>
}

/**
 * Booking's background work, safe with any number of instances: the outbox relay (SKIP LOCKED),
 * hold expiry (a BullMQ job per hold, plus a sweep), the payment reconciler, outbox retention and
 * the data-platform consumer. Every step is conditional or idempotent.
 */
export function startBookingWorkers(
  booking: BookingContext,
  { redisUrl, redisPrefix, log }: { redisUrl: string; redisPrefix: string; log: FastifyBaseLogger },
): BookingWorkers {
  const { db, settings, hooks } = booking
  const publisher = new EventPublisher({ redisUrl, redisPrefix })
  registerJobCountGauge(publisher)
  const relay = new OutboxRelay({ db, sink: publisher, pollIntervalMs: settings.OUTBOX_POLL_INTERVAL_MS, log })
  relay.start()

  booking.expiry.startWorker(async (reservationId) => {
    const { released, notBefore } = await expireHold(db, reservationId)
    if (released) hooks.holdReleased(released, 'job')
    return notBefore ? { notBefore } : {}
  })
  const removeExpiryProbe = addExpiryJobProbe(() => booking.expiry.jobCounts())

  const stopSweep = every(
    settings.HOLD_SWEEP_INTERVAL_MS,
    async () => {
      for (const hold of await sweepLapsedHolds(db)) hooks.holdReleased(hold, 'sweep')
    },
    log,
    'hold sweep',
  )

  const stopReconciler = every(
    settings.PAYMENT_RECONCILE_INTERVAL_MS,
    async () => {
      const olderThan = new Date(Date.now() - settings.PAYMENT_RECONCILE_AFTER_SECONDS * 1000)
      const report = await reconcilePayments({ db, points: booking.points, hooks, log }, { olderThan })
      for (const [outcome, n] of Object.entries(report)) if (n) paymentsReconciled.inc({ outcome }, n)
    },
    log,
    'payment reconciler',
  )

  const stopPruning = every(
    PRUNE_INTERVAL_MS,
    () => pruneSentEvents(db, new Date(Date.now() - settings.OUTBOX_RETENTION_HOURS * 3600 * 1000)),
    log,
    'outbox retention',
  )

  const dataPlatform = startDataPlatformConsumer(db, { redisUrl, redisPrefix })

  return {
    relay,
    async close() {
      await Promise.all([stopSweep(), stopReconciler(), stopPruning()])
      removeExpiryProbe()
      await dataPlatform.close()
      await relay.stop()
      await publisher.close()
    },
  }
}
