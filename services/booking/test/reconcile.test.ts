import { contextDbs } from '@stagepass/db'
import {
  bookingSigner,
  concurrently,
  countRows,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  freePort,
} from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { sweepLapsedHolds } from '../src/holds.js'
import { reconcilePayments } from '../src/payments.js'
import { createHttpPointClient } from '../src/points.js'
import {
  addPerformance,
  lapseHold,
  outboxEvents,
  quietHooks,
  quietLog,
  startBooking,
  startPointService,
} from './helpers/booking.js'

const database = await createTestDatabase(t)
const { db } = database
/** The handle booking's code queries through. */
const bookingDb = contextDbs(db).booking
const redis = createTestRedisPrefix(t)
const point = await startPointService(t, database.config)
const PRICE = 30_000

// The service as deployed, whose background reconciler settles payments unfinished for 1 s.
const booking = await startBooking(t, {
  mysql: database.config,
  redis,
  points: point.client(),
  settings: { PAYMENT_RECONCILE_AFTER_SECONDS: 1, PAYMENT_RECONCILE_INTERVAL_MS: 250 },
})
// The same service, but every payment dies between the point use and the PAID commit.
const crashing = await startBooking(t, {
  mysql: database.config,
  redis,
  points: point.client(),
  workers: false,
  failAfterPointUse: true,
  logLevel: 'fatal',
})

let nextUser = 5000
async function holdingUser(points = PRICE) {
  const userId = nextUser++
  await point.charge(userId, points)
  const { seatIds } = await addPerformance(db, { seats: 1, price: PRICE })
  const seatId = seatIds[0] as number
  const hold = await booking.as(userId).reserve({ seatId })
  return { userId, seatId, reservationId: hold.body.data.reservationId as number }
}

const reservationOf = (id: number) =>
  db.selectFrom('reservation').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const paymentOf = (id: number) =>
  db.selectFrom('payment').selectAll().where('reservation_id', '=', id).executeTakeFirst()
const historyTypes = async (id: number) =>
  (
    await db
      .selectFrom('point_history')
      .select('type')
      .where('reference', '=', `reservation:${id}`)
      .orderBy('id')
      .execute()
  ).map((h) => h.type)
const completedEvents = async (id: number) =>
  (await outboxEvents(db, 'payment.completed')).filter((e) => e.payload.reservationId === id).length

t.test('a crash after the point use: the reconciler completes the payment (PAID, one payment)', async (t) => {
  const { userId, reservationId } = await holdingUser()
  const crashed = await crashing.as(userId).pay({ reservationId }, 'crash-key')
  t.equal(crashed.status, 500)
  t.equal(crashed.body.code, 'INTERNAL_ERROR')
  t.notMatch(JSON.stringify(crashed.body), /injected|stack|sql/i, 'no internals leak')
  t.equal(await point.balance(userId), 0, 'the points were taken')
  t.equal((await reservationOf(reservationId)).status, 'PENDING', 'but the seat is not yet paid')
  t.equal((await paymentOf(reservationId))?.status, 'PENDING', 'the unfinished payment is on record')

  t.ok(
    await eventually(async () => (await reservationOf(reservationId)).status === 'PAID', 10_000),
    'the reconciler completes it',
  )
  t.match(await paymentOf(reservationId), { status: 'COMPLETED', amount: PRICE, balance_after: 0 })
  t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1)
  t.same(await historyTypes(reservationId), ['USE'], 'points taken once')
  t.equal(await point.balance(userId), 0)
  t.equal(await completedEvents(reservationId), 1, 'payment.completed recorded once')

  const retry = await booking.as(userId).pay({ reservationId }, 'crash-key')
  t.equal(retry.status, 200, 'the client retrying with its key gets the payment')
  t.match(retry.body.data, { reservationId, status: 'PAID', currentPoints: 0 })
})

t.test('a crash after the point use, then the hold lapses: the reconciler refunds in full', async (t) => {
  const { userId, seatId, reservationId } = await holdingUser()
  t.equal((await crashing.as(userId).pay({ reservationId })).status, 500)
  await lapseHold(db, reservationId)
  await sweepLapsedHolds(bookingDb)
  t.equal((await reservationOf(reservationId)).status, 'EXPIRED')

  t.ok(
    await eventually(async () => (await paymentOf(reservationId))?.status === 'REFUNDED', 10_000),
    'the reconciler refunds it',
  )
  t.equal(await point.balance(userId), PRICE, 'the whole price is back')
  t.same(await historyTypes(reservationId), ['USE', 'REFUND'])
  t.equal(await completedEvents(reservationId), 0, 'no payment event')
  t.equal((await booking.as(nextUser++).reserve({ seatId })).status, 200, 'the seat is for sale again')
})

t.test('a crash while refunding (payment left REFUNDING): the reconciler refunds it, once', async (t) => {
  const { userId, reservationId } = await holdingUser()
  t.equal((await crashing.as(userId).pay({ reservationId })).status, 500)
  await lapseHold(db, reservationId)
  await sweepLapsedHolds(bookingDb)
  // As if the process died between marking the refund and asking point for it.
  await db
    .updateTable('payment')
    .set({ status: 'REFUNDING', updated_at: new Date(Date.now() - 5000) })
    .where('reservation_id', '=', reservationId)
    .execute()
  t.ok(
    await eventually(async () => (await paymentOf(reservationId))?.status === 'REFUNDED', 10_000),
    'the reconciler finishes the refund',
  )
  t.equal(await point.balance(userId), PRICE, 'the whole price is back')
  t.same(await historyTypes(reservationId), ['USE', 'REFUND'])
})

t.test('point unreachable: 503, and the reconciler settles the payment once point is back', async (t) => {
  const deadPoint = createHttpPointClient([`http://127.0.0.1:${await freePort()}`], {
    signer: bookingSigner(),
    timeoutMs: 500,
  })
  t.teardown(() => deadPoint.close?.())
  const cutOff = await startBooking(t, {
    mysql: database.config,
    redis,
    points: deadPoint,
    workers: false,
    logLevel: 'fatal',
  })
  const { userId, reservationId } = await holdingUser()
  const res = await cutOff.as(userId).pay({ reservationId })
  t.equal(res.status, 503)
  t.equal(res.body.code, 'UPSTREAM_UNAVAILABLE')
  t.ok(await eventually(async () => (await reservationOf(reservationId)).status === 'PAID', 10_000))
  t.same(await historyTypes(reservationId), ['USE'])
  t.equal(await point.balance(userId), 0)
})

t.test('reconcilers running side by side settle each payment once', async (t) => {
  const crashed = []
  for (let i = 0; i < 10; i++) {
    const hold = await holdingUser()
    t.equal((await crashing.as(hold.userId).pay({ reservationId: hold.reservationId })).status, 500)
    // Half of them lose their hold before anyone reconciles.
    if (i % 2) {
      await lapseHold(db, hold.reservationId)
      await sweepLapsedHolds(bookingDb)
    }
    crashed.push(hold)
  }
  const deps = { db: bookingDb, points: point.client(), hooks: quietHooks, log: quietLog }
  await concurrently(4, () => reconcilePayments(deps, { olderThan: new Date() }))
  for (const [i, { userId, reservationId }] of crashed.entries()) {
    if (i % 2) {
      t.equal((await paymentOf(reservationId))?.status, 'REFUNDED')
      t.same(await historyTypes(reservationId), ['USE', 'REFUND'])
      t.equal(await point.balance(userId), PRICE)
    } else {
      t.equal((await reservationOf(reservationId)).status, 'PAID')
      t.same(await historyTypes(reservationId), ['USE'])
      t.equal(await completedEvents(reservationId), 1)
      t.equal(await point.balance(userId), 0)
    }
    t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1)
  }
})

t.test('money and seats agree at the end: every USE is paid or refunded', async (t) => {
  const { rows } = await sql<{ reference: string; uses: number; refunds: number; status: string }>`
    select h.reference,
           sum(h.type = 'USE') as uses,
           sum(h.type = 'REFUND') as refunds,
           r.status
    from point_history h
    join reservation r on h.reference = concat('reservation:', r.id)
    where h.reference is not null
    group by h.reference, r.status`.execute(db)
  t.ok(rows.length > 0)
  for (const row of rows) {
    const settled = row.status === 'PAID' ? Number(row.refunds) === 0 : Number(row.refunds) === Number(row.uses)
    t.ok(Number(row.uses) === 1 && settled, `${row.reference}: ${row.status}, ${row.uses} use, ${row.refunds} refund`)
  }
})
