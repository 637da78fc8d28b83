import { concurrently, countRows, createTestDatabase, createTestRedisPrefix, tally } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import type { PointClient } from '../src/points.js'
import {
  addPerformance,
  forgetTakenSeats,
  lapseHold,
  outboxEvents,
  startBooking,
  startPointService,
} from './helpers/booking.js'

const database = await createTestDatabase(t)
const { db } = database
const redis = createTestRedisPrefix(t)
const point = await startPointService(t, database.config)
const http = point.client()
// Lets a test act while a payment is between the point use and the PAID commit.
let afterUse: (() => Promise<void>) | undefined
const points: PointClient = {
  async use(input) {
    const result = await http.use(input)
    await afterUse?.()
    return result
  },
  refund: (input) => http.refund(input),
}
const booking = await startBooking(t, { mysql: database.config, redis, points, workers: false })
const PRICE = 50_000

let nextUser = 1000
async function holdingUser(points: number) {
  const userId = nextUser++
  if (points > 0) await point.charge(userId, points)
  const { seatIds, concertOptionId } = await addPerformance(db, { seats: 1, price: PRICE })
  const seatId = seatIds[0] as number
  const hold = await booking.as(userId).reserve({ seatId })
  if (hold.status !== 200) throw new Error(`hold failed: ${JSON.stringify(hold.body)}`)
  return { userId, seatId, concertOptionId, reservationId: hold.body.data.reservationId as number }
}

const pointUses = (reservationId: number) =>
  db
    .selectFrom('point_history')
    .selectAll()
    .where('reference', '=', `reservation:${reservationId}`)
    .orderBy('id')
    .execute()

const reservationStatus = async (id: number) =>
  (await db.selectFrom('reservation').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

t.test('paying takes the price once and answers with the documented fields', async (t) => {
  const { userId, seatId, concertOptionId, reservationId } = await holdingUser(80_000)
  const res = await booking.as(userId).pay({ reservationId }, 'key-1')
  t.equal(res.status, 200)
  t.same(Object.keys(res.body.data).sort(), [
    'currentPoints',
    'paymentId',
    'price',
    'reservationId',
    'seatNo',
    'status',
  ])
  t.match(res.body.data, { reservationId, seatNo: 1, price: PRICE, status: 'PAID', currentPoints: 30_000 })
  t.equal(await point.balance(userId), 30_000, 'the balance dropped by the price')
  t.equal(await reservationStatus(reservationId), 'PAID')
  const payments = await db.selectFrom('payment').selectAll().where('reservation_id', '=', reservationId).execute()
  t.equal(payments.length, 1)
  t.match(payments[0], { id: res.body.data.paymentId, status: 'COMPLETED', amount: PRICE, user_id: userId })
  const completed = (await outboxEvents(db, 'payment.completed')).filter(
    (e) => e.payload.reservationId === reservationId,
  )
  t.equal(completed.length, 1, 'one payment.completed event, committed with the payment')
  t.same(
    completed[0]?.payload,
    {
      paymentId: res.body.data.paymentId,
      reservationId,
      userId,
      seatId,
      concertOptionId,
      amount: PRICE,
      paidAt: payments[0]?.paid_at?.toISOString(),
      liveHolds: 0,
    },
    'the event names the payment and its seat, and the user has no other live hold',
  )
  t.same(
    (await pointUses(reservationId)).map((h) => [h.type, Number(h.amount)]),
    [['USE', PRICE]],
  )

  const replay = await booking.as(userId).pay({ reservationId }, 'key-1')
  t.equal(replay.status, 200, 'the same key gets the first answer again')
  t.same(replay.body, res.body)
  const noKey = await booking.as(userId).pay({ reservationId })
  t.equal(noKey.status, 409)
  t.equal(noKey.body.code, 'ALREADY_PAID')
  const otherKey = await booking.as(userId).pay({ reservationId }, 'key-2')
  t.equal(otherKey.status, 409)
  t.equal(otherKey.body.code, 'ALREADY_PAID')
  t.equal(await point.balance(userId), 30_000, 'charged once in all')
  t.equal((await pointUses(reservationId)).length, 1)

  const view = await booking.as(userId).reservation(reservationId)
  t.match(view.body.data, { status: 'PAID', paymentId: res.body.data.paymentId, paidAt: String })
})

t.test('insufficient points: 409 and nothing changed anywhere; paying after a top-up works', async (t) => {
  const { userId, seatId, reservationId } = await holdingUser(10_000)
  const outboxBefore = await countRows(db, 'outbox')
  const res = await booking.as(userId).pay({ reservationId })
  t.equal(res.status, 409)
  t.equal(res.body.code, 'INSUFFICIENT_POINTS')
  t.equal(await point.balance(userId), 10_000, 'balance untouched')
  t.equal((await pointUses(reservationId)).length, 0, 'no point history')
  t.equal(await reservationStatus(reservationId), 'PENDING', 'the hold stands')
  t.equal((await booking.as(nextUser++).reserve({ seatId })).status, 409, 'the seat is still held')
  t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId} and status = 'COMPLETED'`), 0)
  t.equal(await countRows(db, 'outbox'), outboxBefore, 'no event')

  await point.charge(userId, 40_000)
  const retry = await booking.as(userId).pay({ reservationId })
  t.equal(retry.status, 200)
  t.equal(retry.body.data.currentPoints, 0)
  t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1, 'still one payment row')
})

t.test('someone else’s reservation is not found, and nothing moves', async (t) => {
  const { reservationId } = await holdingUser(80_000)
  const stranger = nextUser++
  await point.charge(stranger, 80_000)
  const res = await booking.as(stranger).pay({ reservationId })
  t.equal(res.status, 404)
  t.equal(res.body.code, 'RESERVATION_NOT_FOUND')
  t.equal(await point.balance(stranger), 80_000)
  t.equal(await reservationStatus(reservationId), 'PENDING')
  t.equal((await booking.as(stranger).pay({ reservationId: 999_999 })).body.code, 'RESERVATION_NOT_FOUND')
})

t.test('a lapsed hold: 410, no charge, and the seat is reservable again', async (t) => {
  const { userId, seatId, reservationId } = await holdingUser(80_000)
  await lapseHold(db, reservationId)
  forgetTakenSeats(booking)
  const res = await booking.as(userId).pay({ reservationId })
  t.equal(res.status, 410)
  t.equal(res.body.code, 'RESERVATION_EXPIRED')
  t.equal(await point.balance(userId), 80_000)
  t.equal(await reservationStatus(reservationId), 'EXPIRED')
  t.equal((await booking.as(nextUser++).reserve({ seatId })).status, 200, 'someone else can hold the seat')
  t.equal((await booking.as(userId).pay({ reservationId })).status, 410, 'and it stays expired')
})

t.test('the hold lapses while points are being taken: the points go back, the seat is not sold', async (t) => {
  const { userId, seatId, reservationId } = await holdingUser(80_000)
  const rival = nextUser++
  afterUse = async () => {
    afterUse = undefined
    await lapseHold(db, reservationId)
    forgetTakenSeats(booking)
    const taken = await booking.as(rival).reserve({ seatId })
    if (taken.status !== 200) throw new Error('the rival should get the lapsed seat')
  }
  const res = await booking.as(userId).pay({ reservationId })
  t.equal(res.status, 410)
  t.equal(res.body.code, 'RESERVATION_EXPIRED')
  t.equal(await point.balance(userId), 80_000, 'refunded in full')
  t.same(
    (await pointUses(reservationId)).map((h) => h.type),
    ['USE', 'REFUND'],
  )
  t.equal(await reservationStatus(reservationId), 'EXPIRED')
  t.match(await db.selectFrom('payment').selectAll().where('reservation_id', '=', reservationId).executeTakeFirst(), {
    status: 'REFUNDED',
  })
  t.equal(await countRows(db, 'reservation', sql`seat_id = ${seatId} and status in ('PENDING','PAID')`), 1)
  const completed = (await outboxEvents(db, 'payment.completed')).filter(
    (e) => e.payload.reservationId === reservationId,
  )
  t.same(completed, [], 'no payment.completed for the seat it did not get')
})

t.test("each payment's event counts the user's other live holds", async (t) => {
  const userId = nextUser++
  await point.charge(userId, 3 * PRICE)
  const { seatIds } = await addPerformance(db, { seats: 3, price: PRICE })
  const holds: number[] = []
  for (const seatId of seatIds) holds.push((await booking.as(userId).reserve({ seatId })).body.data.reservationId)
  await lapseHold(db, holds[2] as number)
  const liveHoldsAfterPaying = async (reservationId: number) => {
    t.equal((await booking.as(userId).pay({ reservationId })).status, 200)
    const [event] = (await outboxEvents(db, 'payment.completed')).filter(
      (e) => e.payload.reservationId === reservationId,
    )
    return event?.payload.liveHolds
  }
  t.equal(await liveHoldsAfterPaying(holds[0] as number), 1, 'one other hold still live (a lapsed one does not count)')
  t.equal(await liveHoldsAfterPaying(holds[1] as number), 0, 'then none')
})

t.test('100 concurrent pays of one reservation: points taken once, one payment row', async (t) => {
  const { userId, reservationId } = await holdingUser(PRICE)
  const responses = await concurrently(100, () => booking.as(userId).pay({ reservationId }))
  t.same(tally(responses.map((r) => r.status)), { 200: 1, 409: 99 })
  t.ok(
    responses.filter((r) => r.status === 409).every((r) => r.body.code === 'ALREADY_PAID'),
    'the others are told it is paid',
  )
  t.equal(await point.balance(userId), 0)
  t.equal((await pointUses(reservationId)).length, 1, 'one point use')
  t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1, 'one payment row')
  t.equal(await reservationStatus(reservationId), 'PAID')
})

t.test('100 concurrent pays with one Idempotency-Key: all get the same 200, points taken once', async (t) => {
  const { userId, reservationId } = await holdingUser(PRICE + 1)
  const responses = await concurrently(100, () => booking.as(userId).pay({ reservationId }, 'tap-tap-tap'))
  t.same(tally(responses.map((r) => r.status)), { 200: 100 })
  t.equal(new Set(responses.map((r) => JSON.stringify(r.body))).size, 1, 'one answer, repeated')
  t.equal(responses[0]?.body.data.currentPoints, 1)
  t.equal(await point.balance(userId), 1)
  t.equal((await pointUses(reservationId)).length, 1)
  t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1)
  t.equal(
    (await outboxEvents(db, 'payment.completed')).filter((e) => e.payload.reservationId === reservationId).length,
    1,
  )
})

t.test('a paid seat stays sold and no longer counts toward the hold cap', async (t) => {
  const userId = nextUser++
  await point.charge(userId, PRICE)
  const { seatIds } = await addPerformance(db, { seats: 6, price: PRICE })
  const holds = []
  for (const seatId of seatIds.slice(0, 4)) holds.push((await booking.as(userId).reserve({ seatId })).body.data)
  t.equal((await booking.as(userId).reserve({ seatId: seatIds[4] })).body.code, 'HOLD_LIMIT_REACHED')
  t.equal((await booking.as(userId).pay({ reservationId: holds[0].reservationId })).status, 200)
  t.equal((await booking.as(userId).reserve({ seatId: seatIds[4] })).status, 200, 'a sold seat frees a hold slot')
  await lapseHold(db, holds[0].reservationId)
  t.equal((await booking.as(nextUser++).reserve({ seatId: seatIds[0] })).body.code, 'SEAT_UNAVAILABLE', 'sold for good')
})
