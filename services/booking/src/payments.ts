import type { BookingDb } from '@stagepass/db'
import { inTransaction } from '@stagepass/db'
import { type Clock, systemClock } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'
import { AlreadyPaidError, ReservationExpiredError, ReservationNotFoundError } from './errors.js'
import { releaseLapsedHold } from './holds.js'
import type { BookingHooks } from './hooks.js'
import {
  type Completion,
  completePayments,
  type PayableReservation,
  type PaymentBatches,
  readReservations,
} from './payment-batches.js'
import { type PointClient, type PointUse, paymentReference } from './points.js'
import { RESERVATION_COLUMNS } from './reservation-columns.js'

export interface PaymentReceipt {
  paymentId: number
  reservationId: number
  seatNo: number
  price: number
  status: 'PAID'
  currentPoints: number
}

export interface PaymentDeps {
  db: BookingDb
  points: PointClient
  hooks: BookingHooks
  log: FastifyBaseLogger
  /** Test only: stop right after the point use, as a crash there would. */
  failAfterPointUse?: boolean
  /** Whether the hold has lapsed (holds.ts); the system clock when not given. */
  clock?: Clock
}

const isInsufficientPoints = (err: unknown) => (err as { code?: string }).code === 'INSUFFICIENT_POINTS'

const loadReservation = async (db: BookingDb, reservationId: number) => (await readReservations(db, [reservationId]))[0]

/**
 * Point's `use` is idempotent per reference, but a duplicate racing the first can be refused for
 * the balance the first one just took. Asked again, point returns that first use.
 */
async function usePointsOnce(points: PointClient, input: PointUse): Promise<{ currentPoints: number }> {
  try {
    return await points.use(input)
  } catch (err) {
    if (!isInsufficientPoints(err)) throw err
    return points.use(input)
  }
}

/** Point refused the use: nothing was taken. */
async function declinePayment(db: BookingDb, reservationId: number): Promise<void> {
  await db
    .updateTable('payment')
    .set({ status: 'DECLINED', updated_at: new Date() })
    .where('reservation_id', '=', reservationId)
    .where('status', '=', 'PENDING')
    .execute()
}

/** The last step of the saga by itself (the reconciler's): see `completePayments`. */
const completePayment = async (db: BookingDb, completion: Completion) => (await completePayments(db, [completion]))[0]

/**
 * Gives the points of an unfinished payment back (once: refunds are idempotent by reference). The
 * payment is marked REFUNDING first, and point is asked only for a payment in that state: a payment
 * that completed meanwhile is never refunded. Point voids a reference it never saw used, so a use
 * still on its way is refused when it lands. A crash after the mark leaves REFUNDING for the
 * reconciler. Undefined when the payment had already left the unfinished states.
 */
async function refundPayment(deps: PaymentDeps, reservationId: number): Promise<'REFUNDED' | 'VOIDED' | undefined> {
  const marked = await deps.db
    .updateTable('payment')
    .set({ status: 'REFUNDING', updated_at: new Date() })
    .where('reservation_id', '=', reservationId)
    .where('status', 'in', ['PENDING', 'DECLINED', 'REFUNDING'])
    .executeTakeFirst()
  if (Number(marked.numUpdatedRows) === 0) return undefined
  const refunded = await deps.points.refund({ reference: paymentReference(reservationId) })
  const status = refunded ? 'REFUNDED' : 'VOIDED'
  await deps.db
    .updateTable('payment')
    .set({ status, updated_at: new Date() })
    .where('reservation_id', '=', reservationId)
    .where('status', '=', 'REFUNDING')
    .execute()
  return status
}

/** The first 200 again, for a replay with the key that completed the payment; otherwise ALREADY_PAID. */
async function replayReceipt(db: BookingDb, r: PayableReservation, idempotencyKey: string | undefined) {
  const payment = await db
    .selectFrom('payment')
    .select(['id', 'idempotency_key', 'balance_after'])
    .where('reservation_id', '=', r.id)
    .where('status', '=', 'COMPLETED')
    .executeTakeFirst()
  if (!payment || idempotencyKey === undefined || payment.idempotency_key !== idempotencyKey) {
    throw new AlreadyPaidError(r.id)
  }
  return receiptOf(r, payment.id, payment.balance_after ?? 0)
}

const receiptOf = (r: PayableReservation, paymentId: number, currentPoints: number): PaymentReceipt => ({
  paymentId,
  reservationId: r.id,
  seatNo: r.seat_no,
  price: r.price,
  status: 'PAID',
  currentPoints,
})

/**
 * Pays for a held seat with points: the saga of architecture.md. (1) a PENDING payment row, (2)
 * point `use` with reference `reservation:<id>`, (3) PAID + payment + outbox in one transaction.
 * If (3) finds the hold gone, the points are refunded at once; if the process dies between (2)
 * and (3), the reconciler finishes the payment or refunds it. Booking's round trips go with those
 * of the other payments of the same turn (`batches`, payment-batches.ts).
 */
export async function payReservation(
  deps: PaymentDeps & { batches: PaymentBatches },
  { userId, reservationId, idempotencyKey }: { userId: number; reservationId: number; idempotencyKey?: string },
): Promise<{ receipt: PaymentReceipt; replayed: boolean }> {
  const { db, points, batches, clock = systemClock } = deps
  const now = new Date(clock.now())
  const r = await batches.read(reservationId)
  // Someone else's reservation is indistinguishable from a missing one.
  if (!r || r.user_id !== userId) throw new ReservationNotFoundError(reservationId)
  if (r.status === 'PAID') return { receipt: await replayReceipt(db, r, idempotencyKey), replayed: true }
  if (r.status !== 'PENDING' || r.expires_at <= now) {
    if (r.status === 'PENDING' && (await inTransaction(db, (trx) => releaseLapsedHold(trx, r, now)))) {
      deps.hooks.holdReleased(r, 'pay')
    }
    throw new ReservationExpiredError(reservationId)
  }

  await batches.start({ reservation: r, idempotencyKey, now })
  const input = { userId, amount: r.price, reference: paymentReference(r.id) }
  let balance: number
  try {
    balance = (await usePointsOnce(points, input)).currentPoints
  } catch (err) {
    if (isInsufficientPoints(err)) await declinePayment(db, r.id)
    throw err
  }
  if (deps.failAfterPointUse) throw new Error('injected failure between the point use and the PAID commit')

  const paymentId = await batches.complete({ reservation: r, balance, idempotencyKey, now: new Date() })
  if (paymentId !== undefined) {
    deps.hooks.eventsCommitted()
    deps.log.info({ userId, reservationId, paymentId, amount: r.price }, 'payment completed')
    return { receipt: receiptOf(r, paymentId, balance), replayed: false }
  }
  const current = await batches.read(reservationId)
  // A concurrent attempt completed it with the same point use.
  if (current?.status === 'PAID') return { receipt: await replayReceipt(db, current, idempotencyKey), replayed: true }
  // The hold ended while the points were being taken: they go back, and the seat stays free.
  await refundPayment(deps, r.id)
  deps.log.info({ userId, reservationId }, 'hold lapsed during payment; points refunded')
  throw new ReservationExpiredError(reservationId)
}

export interface ReconcileReport {
  completed: number
  refunded: number
  voided: number
  declined: number
  failed: number
}

/**
 * Settles payments left unfinished (a crash or an unreachable point service between the steps):
 * a payment whose hold still stands is completed (the point use is idempotent, so a use that
 * already happened is not repeated); one whose hold is gone is refunded. Declined payments are
 * refund-checked once their hold is gone, in case a racing attempt's use slipped through;
 * REFUNDING ones (a crash while refunding) are refunded again. VOIDED is final: point voided the
 * reference, so a use of it that lands later is refused and there is nothing to recheck.
 * Every step is conditional or idempotent, so instances may reconcile side by side.
 */
export async function reconcilePayments(
  deps: PaymentDeps,
  { olderThan, limit = 100 }: { olderThan: Date; limit?: number },
): Promise<ReconcileReport> {
  const { db } = deps
  const report: ReconcileReport = { completed: 0, refunded: 0, voided: 0, declined: 0, failed: 0 }
  const unfinished = await db
    .selectFrom('payment as p')
    .innerJoin('reservation as r', 'r.id', 'p.reservation_id')
    .innerJoin('seat as s', 's.id', 'r.seat_id')
    .select([...RESERVATION_COLUMNS, 'p.status as payment_status', 'p.idempotency_key'])
    .where('p.status', 'in', ['PENDING', 'DECLINED', 'REFUNDING'])
    .where('p.updated_at', '<=', olderThan)
    .where('r.status', '!=', 'PAID')
    .where((eb) => eb.or([eb('p.status', '=', 'PENDING'), eb('r.status', '!=', 'PENDING')]))
    .orderBy('p.updated_at')
    .limit(limit)
    .execute()

  for (const r of unfinished) {
    try {
      if (r.status === 'PENDING') {
        const { currentPoints } = await usePointsOnce(deps.points, {
          userId: r.user_id,
          amount: r.price,
          reference: paymentReference(r.id),
        })
        const paymentId = await completePayment(db, {
          reservation: r,
          balance: currentPoints,
          idempotencyKey: r.idempotency_key,
          now: new Date(),
        })
        if (paymentId !== undefined) {
          deps.hooks.eventsCommitted()
          report.completed++
          deps.log.info({ reservationId: r.id, paymentId }, 'unfinished payment completed')
          continue
        }
        if ((await loadReservation(db, r.id))?.status === 'PAID') continue
      }
      const outcome = await refundPayment(deps, r.id)
      if (outcome === undefined) continue
      if (outcome === 'REFUNDED') report.refunded++
      else report.voided++
      deps.log.info({ reservationId: r.id, outcome }, 'unfinished payment settled')
    } catch (err) {
      if (isInsufficientPoints(err)) {
        await declinePayment(db, r.id)
        report.declined++
      } else {
        report.failed++
        deps.log.warn({ err, reservationId: r.id }, 'could not settle an unfinished payment; will retry')
      }
    }
  }
  return report
}
