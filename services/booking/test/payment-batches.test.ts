import { contextDbs, createDb, type Db } from '@stagepass/db'
import { addPerformance, countRows, createTestDatabase, sessionCount } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { type Completion, type PayableReservation, paymentBatches, readReservations } from '../src/payment-batches.js'
import { payReservation } from '../src/payments.js'
import { outboxEvents, quietHooks, quietLog, startPointService } from './helpers/booking.js'

// Booking's round trips of the payments begun in one turn of the event loop travel together. On a
// pool of one connection, so the connection's own counters tell how many statements and commits it sent.
const database = await createTestDatabase(t)
const single = createDb({ ...database.config, MYSQL_POOL_SIZE: 1, MYSQL_STATEMENT_TIMEOUT_MS: 1000 })
t.teardown(() => single.destroy())
const booking = contextDbs(single).booking
const point = await startPointService(t, database.config)
const PRICE = 1000

/** How many `name` statements (Com_select, Com_insert, Com_commit) the connection sends during `work`. */
async function counted<T>(name: string, work: () => Promise<T>): Promise<{ result: T; n: number }> {
  const before = await sessionCount(single, name)
  const result = await work()
  return { result, n: (await sessionCount(single, name)) - before }
}

let nextUser = 20_000
/** `n` users, each holding one seat of a new performance and owning exactly its price in points. */
async function holders(db: Db, n: number): Promise<PayableReservation[]> {
  const { seatIds, concertOptionId } = await addPerformance(db, { seats: n, price: PRICE })
  const now = new Date()
  const rows = seatIds.map((seatId) => ({
    user_id: nextUser++,
    seat_id: seatId,
    concert_option_id: concertOptionId,
    price: PRICE,
    hold_slot: 1,
    expires_at: new Date(now.getTime() + 300_000),
    created_at: now,
  }))
  await db.insertInto('reservation').values(rows).execute()
  await db
    .insertInto('point_wallet')
    .values(rows.map((r) => ({ user_id: r.user_id, balance: PRICE })))
    .execute()
  const ids = await db
    .selectFrom('reservation')
    .select('id')
    .where('concert_option_id', '=', concertOptionId)
    .orderBy('id')
    .execute()
  return (await readReservations(
    contextDbs(db).booking,
    ids.map((r) => r.id),
  )) as PayableReservation[]
}

const completionOf = (reservation: PayableReservation): Completion => ({
  reservation,
  balance: 0,
  idempotencyKey: undefined,
  now: new Date(),
})

t.test('100 payments at once: each payer charged once and told their own payment, in far fewer commits', async (t) => {
  const reservations = await holders(database.db, 100)
  const batches = paymentBatches(booking)
  const deps = { db: booking, points: point.client(), batches, hooks: quietHooks, log: quietLog }
  const { result: paid, n: commits } = await counted('Com_commit', () =>
    Promise.all(reservations.map((r) => payReservation(deps, { userId: r.user_id, reservationId: r.id }))),
  )
  // The completions whose point answers arrive in the same turn share a transaction: one each would be 100.
  t.ok(commits < 100, `${commits} commits for 100 completions`)
  t.same(
    paid.map(({ receipt }) => receipt.reservationId),
    reservations.map((r) => r.id),
    'each payer is answered for their own reservation',
  )
  const payments = await database.db
    .selectFrom('payment')
    .select(['id', 'reservation_id', 'status'])
    .where(
      'reservation_id',
      'in',
      reservations.map((r) => r.id),
    )
    .execute()
  const paymentOf = new Map(payments.map((p) => [p.reservation_id, p]))
  t.ok(
    paid.every(({ receipt }) => paymentOf.get(receipt.reservationId)?.id === receipt.paymentId),
    "each receipt names its own reservation's payment",
  )
  t.ok(
    payments.every((p) => p.status === 'COMPLETED'),
    'every payment completed',
  )
  const wallets = await database.db
    .selectFrom('point_wallet')
    .select('balance')
    .where(
      'user_id',
      'in',
      reservations.map((r) => r.user_id),
    )
    .execute()
  t.ok(
    wallets.every((w) => Number(w.balance) === 0),
    'each payer charged exactly the price, once',
  )
  const events = (await outboxEvents(database.db, 'payment.completed')).filter((e) =>
    paymentOf.has(e.payload.reservationId as number),
  )
  t.equal(events.length, 100, 'one event per payment')
  t.ok(
    events.every((e) => paymentOf.get(e.payload.reservationId as number)?.id === e.payload.paymentId),
    'each event names its own payment',
  )
})

t.test("a turn's reads, PENDING rows and completions are one statement, one statement and one commit", async (t) => {
  const reservations = await holders(database.db, 100)
  const batches = paymentBatches(booking)
  const reads = await counted('Com_select', () => Promise.all(reservations.map((r) => batches.read(r.id))))
  t.equal(reads.n, 1, 'one read')
  t.same(
    reads.result.map((r) => r?.id),
    reservations.map((r) => r.id),
    'each read answered with its own reservation',
  )
  const now = new Date()
  const starts = await counted('Com_insert', () =>
    Promise.all(reservations.map((reservation) => batches.start({ reservation, idempotencyKey: 'k', now }))),
  )
  t.equal(starts.n, 1, 'one insert for the PENDING rows')
  t.equal(
    await countRows(database.db, 'payment', sql`status = 'PENDING' and idempotency_key = 'k'`),
    100,
    'a PENDING row for each',
  )
  const completions = await counted('Com_commit', () =>
    Promise.all(reservations.map((r) => batches.complete(completionOf(r)))),
  )
  t.equal(completions.n, 1, 'one commit for the completions')
  t.equal(new Set(completions.result).size, 100, 'each told its own payment')
})

t.test('a hold no longer PENDING among the completions: only that payment is not completed', async (t) => {
  const reservations = await holders(database.db, 10)
  const lapsed = reservations[3] as PayableReservation
  await database.db.updateTable('reservation').set({ status: 'EXPIRED' }).where('id', '=', lapsed.id).execute()
  const batches = paymentBatches(booking)
  const { result: ids, n: commits } = await counted('Com_commit', () =>
    Promise.all(reservations.map((r) => batches.complete(completionOf(r)))),
  )
  t.equal(commits, 1, 'the others in one transaction')
  t.equal(ids[3], undefined, 'the lapsed hold: no payment')
  t.ok(
    ids.every((id, i) => i === 3 || typeof id === 'number'),
    'each of the others its payment',
  )
  const { status } = await database.db
    .selectFrom('reservation')
    .select('status')
    .where('id', '=', lapsed.id)
    .executeTakeFirstOrThrow()
  t.equal(status, 'EXPIRED', 'the lapsed hold is not made PAID')
  const events = (await outboxEvents(database.db, 'payment.completed')).filter((e) =>
    reservations.some((r) => r.id === e.payload.reservationId),
  )
  t.same(
    events.map((e) => e.payload.reservationId).sort(),
    reservations
      .filter((r) => r !== lapsed)
      .map((r) => r.id)
      .sort(),
    'an event for each of the nine, none for the lapsed hold',
  )
})

t.test('a batch that fails goes again payment by payment: only the one at fault fails', async (t) => {
  const reservations = await holders(database.db, 5)
  const locked = reservations[2] as PayableReservation
  // Another transaction keeps the reservation's row past the statement time limit (1 s here).
  let release = () => {}
  let lockTaken = () => {}
  const taken = new Promise<void>((resolve) => {
    lockTaken = resolve
  })
  const holding = database.db.transaction().execute(async (trx) => {
    await sql`select id from reservation where id = ${locked.id} for update`.execute(trx)
    lockTaken()
    await new Promise<void>((resolve) => {
      release = resolve
    })
  })
  await taken
  const batches = paymentBatches(booking)
  const outcomes = await Promise.allSettled(reservations.map((r) => batches.complete(completionOf(r))))
  release()
  await holding
  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    'the four others completed',
  )
  const statuses = await database.db
    .selectFrom('reservation')
    .select(['id', 'status'])
    .where(
      'id',
      'in',
      reservations.map((r) => r.id),
    )
    .orderBy('id')
    .execute()
  t.same(
    statuses.map((r) => r.status),
    ['PAID', 'PAID', 'PENDING', 'PAID', 'PAID'],
    'the locked one left as it was, for its caller to settle',
  )
})
