import { counter, gauge, tallyCounter, withTimeout } from '@stagepass/kit'

export const holdsMade = counter('booking_holds_total', 'Seat holds made')
// Counted on every refused hold (most requests in a stampede): plain increments, folded in at scrape.
export const holdRefusals = tallyCounter('booking_hold_refusals_total', 'Seat holds refused, by error code', 'code', [
  'SEAT_UNAVAILABLE',
  'SEAT_NOT_FOUND',
  'HOLD_LIMIT_REACHED',
] as const)
export const holdReleases = counter('booking_hold_releases_total', 'Holds that freed their seat, by reason', ['reason'])
export const holdExpiries = counter(
  'booking_hold_expiries_total',
  'Lapsed holds released, by what noticed them (reserve, pay, job, sweep)',
  ['trigger'],
)
export const paymentsCompleted = counter('booking_payments_total', 'Payments completed')
export const paymentAmount = counter('booking_payments_amount_total', 'Points paid for seats')
export const paymentFailures = counter('booking_payment_failures_total', 'Payments refused or failed, by error code', [
  'code',
])
export const periodicRuns = counter(
  'booking_periodic_runs_total',
  'Periodic task runs (hold sweep, payment reconciler, outbox retention) by task and outcome, across instances once per interval',
  ['task', 'outcome'],
)

export const paymentsReconciled = counter(
  'booking_payments_reconciled_total',
  'Unfinished payments settled by the reconciler, by outcome',
  ['outcome'],
)
export const outboxPublished = counter('booking_outbox_publish_total', 'Outbox publish attempts, by outcome', [
  'outcome',
])

type Probe = () => Promise<number>
const lagProbes = new Set<Probe>()

// One gauge per process (the monolith loads booking once); each running relay adds its probe.
gauge('booking_outbox_lag_seconds', 'Age of the oldest unpublished outbox event (0 when none)', [], async function () {
  let lag = 0
  for (const probe of lagProbes) {
    try {
      lag = Math.max(lag, await withTimeout(probe(), 1000))
    } catch {
      // Database unreachable at scrape time: keep the last value.
      return
    }
  }
  this.set(lag)
})

export function addOutboxLagProbe(probe: Probe): () => void {
  lagProbes.add(probe)
  return () => lagProbes.delete(probe)
}

const expiryJobProbes = new Set<() => Promise<Record<string, number>>>()

gauge('booking_hold_expiry_jobs', 'Hold expiry jobs in BullMQ, by state', ['state'], async function () {
  for (const probe of expiryJobProbes) {
    try {
      for (const [state, n] of Object.entries(await withTimeout(probe(), 1000))) this.set({ state }, n)
    } catch {
      // Redis unreachable at scrape time: keep the last values.
    }
  }
})

export function addExpiryJobProbe(probe: () => Promise<Record<string, number>>): () => void {
  expiryJobProbes.add(probe)
  return () => expiryJobProbes.delete(probe)
}
