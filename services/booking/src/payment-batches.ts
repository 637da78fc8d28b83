import { type BookingDb, inTwoScripts, type ReservationStatus, type WriteResult } from '@stagepass/db'
import type { EventPayloads } from '@stagepass/events'
import { batchPerTurn, orEachAlone } from '@stagepass/kit'
import { sql } from 'kysely'
import { eventOfLastInsert } from './outbox.js'
import { RESERVATION_COLUMNS } from './reservation-columns.js'

/*
 * Booking's round trips of a payment, shared by the payments of one turn of the event loop: the
 * reservation's read, the PENDING payment row, and the completion's two. Each payment still goes
 * through the saga's steps in order (its PENDING row commits before any point moves, and its PAID,
 * payment row and event commit together); the payments of a turn only travel together. A batch that
 * fails is sent again payment by payment, so only the payment at fault fails (docs/booking.md).
 */

/** Reservations per read. */
const MAX_READS = 200
/** Payments per statement or transaction. */
const MAX_PAYMENTS = 100

/** A reservation as a payment needs it. */
export interface PayableReservation {
  id: number
  user_id: number
  seat_id: number
  seat_no: number
  concert_option_id: number
  price: number
  status: ReservationStatus
  expires_at: Date
}

/** The reservations with these ids (one query), undefined where there is none. */
export async function readReservations(
  db: BookingDb,
  ids: readonly number[],
): Promise<Array<PayableReservation | undefined>> {
  const rows = await db
    .selectFrom('reservation as r')
    .innerJoin('seat as s', 's.id', 'r.seat_id')
    .select(RESERVATION_COLUMNS)
    .where('r.id', 'in', [...new Set(ids)])
    .execute()
  const byId = new Map(rows.map((row) => [Number(row.id), row]))
  return ids.map((id) => byId.get(id))
}

/** A payment under way: recorded before any point moves, so a crash after the use leaves a row for the reconciler. */
export interface PaymentStart {
  reservation: PayableReservation
  idempotencyKey: string | undefined
  now: Date
}

/** Payment rows an attempt may (re)start: a payment that completed or is being refunded is left alone. */
const RESTARTABLE = sql<boolean>`status in ('PENDING', 'DECLINED')`

/**
 * The PENDING rows of payments in one statement: each is inserted, or an unfinished one taken up
 * (a new attempt restarts the reconciler's clock). In reservation order, so two processes' batches
 * take the unique key's locks in the same order. MySQL assigns left to right, so `status` goes
 * last, after the assignments that read it; `values(…)` is the row's own proposed value.
 */
async function startPayments(db: BookingDb, starts: readonly PaymentStart[]): Promise<void> {
  const rows = [...starts]
    .sort((a, b) => a.reservation.id - b.reservation.id)
    .map(({ reservation: r, idempotencyKey, now }) => ({
      reservation_id: r.id,
      user_id: r.user_id,
      amount: r.price,
      status: 'PENDING' as const,
      idempotency_key: idempotencyKey ?? null,
      created_at: now,
      updated_at: now,
    }))
  await db
    .insertInto('payment')
    .values(rows)
    .onDuplicateKeyUpdate({
      idempotency_key: sql`if(${RESTARTABLE}, coalesce(values(idempotency_key), idempotency_key), idempotency_key)`,
      updated_at: sql`if(${RESTARTABLE}, values(updated_at), updated_at)`,
      status: sql`if(${RESTARTABLE}, 'PENDING', status)`,
    })
    .execute()
}

/** The last step of a payment whose points were taken. */
export interface Completion {
  reservation: PayableReservation
  /** The payer's balance after the use, for the receipt and the payment row. */
  balance: number
  idempotencyKey: string | null | undefined
  now: Date
}

const paidUpdate = (db: BookingDb, { reservation: r, now }: Completion) =>
  db
    .updateTable('reservation')
    .set({ status: 'PAID', paid_at: now })
    .where('id', '=', r.id)
    .where('status', '=', 'PENDING')
    .compile()

/**
 * What a completion writes once its reservation is PAID: the user's other live holds counted into a
 * session variable, the payment upsert (leaving the payment's id by `last_insert_id(id)` whether it
 * inserted or updated), and `payment.completed` taking both. Plain `insert … values` only: an
 * `insert … select` would take the outbox's table-wide AUTO-INC lock.
 */
function completionRecords(db: BookingDb, { reservation: r, balance, idempotencyKey, now }: Completion) {
  const key = idempotencyKey ?? null
  const event: EventPayloads['payment.completed'] = {
    paymentId: 0,
    reservationId: r.id,
    userId: r.user_id,
    seatId: r.seat_id,
    concertOptionId: r.concert_option_id,
    amount: r.price,
    paidAt: now.toISOString(),
    liveHolds: 0,
  }
  return [
    sql`set @live_holds = (select count(*) from reservation
            where user_id = ${r.user_id} and status = 'PENDING' and expires_at > ${now} and id <> ${r.id})`.compile(db),
    db
      .insertInto('payment')
      .values({
        reservation_id: r.id,
        user_id: r.user_id,
        amount: r.price,
        status: 'COMPLETED',
        idempotency_key: key,
        balance_after: balance,
        created_at: now,
        updated_at: now,
        paid_at: now,
      })
      .onDuplicateKeyUpdate({
        id: sql`last_insert_id(id)`,
        status: 'COMPLETED',
        idempotency_key: sql<string | null>`coalesce(${key}, idempotency_key)`,
        balance_after: balance,
        updated_at: now,
        paid_at: now,
      })
      .compile(),
    eventOfLastInsert(db, 'payment.completed', event, 'paymentId', now, { liveHolds: sql`@live_holds` }),
  ]
}

/**
 * Completes payments in one transaction of two round trips: first every reservation becomes PAID
 * if it is still a PENDING hold (in reservation order), then, for the ones that did, the payment
 * row and `payment.completed`, with the commit. A reservation no longer PENDING was not changed,
 * so the others go on without it. Answers each payment's id, or undefined for a reservation that
 * was no longer PENDING.
 */
export async function completePayments(
  db: BookingDb,
  completions: readonly Completion[],
): Promise<Array<number | undefined>> {
  const order = completions.map((_, i) => i).sort((a, b) => idOf(completions[a]) - idOf(completions[b]))
  const inOrder = order.map((i) => completions[i] as Completion)
  return inTwoScripts(
    db,
    inOrder.map((c) => paidUpdate(db, c)),
    (updates) => {
      const paid = inOrder.flatMap((c, k) => ((updates[k] as WriteResult).affectedRows === 1 ? [c] : []))
      return {
        statements: paid.flatMap((c) => completionRecords(db, c)),
        settle: (answers) => {
          const ids = new Map(paid.map((c, k) => [c, (answers[3 * k + 1] as WriteResult).insertId]))
          return completions.map((c) => ids.get(c))
        },
      }
    },
  )
}

const idOf = (c: Completion | undefined) => c?.reservation.id ?? 0

/** Booking's round trips of the payments begun in one turn of the event loop, batched. */
export function paymentBatches(db: BookingDb) {
  return {
    /** The reservation, or undefined when there is none. */
    read: batchPerTurn<number, PayableReservation | undefined>((ids) => readReservations(db, ids), {
      maxItems: MAX_READS,
    }),
    /** Resolves once the payment's PENDING row is committed. */
    start: batchPerTurn<PaymentStart, void>(
      (starts) =>
        orEachAlone(starts, async (some) => {
          await startPayments(db, some)
          return some.map(() => undefined)
        }),
      { maxItems: MAX_PAYMENTS },
    ),
    /** The payment's id, or undefined when the reservation was no longer PENDING. */
    complete: batchPerTurn<Completion, number | undefined>(
      (completions) => orEachAlone(completions, (some) => completePayments(db, some)),
      { maxItems: MAX_PAYMENTS },
    ),
  }
}

export type PaymentBatches = ReturnType<typeof paymentBatches>
