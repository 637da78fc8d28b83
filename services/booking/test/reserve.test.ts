import { QUEUE_USER_HEADER } from '@stagepass/kit'
import {
  type ApiResponse,
  concurrently,
  countRows,
  createTestDatabase,
  createTestRedisPrefix,
  gatewayHeaders,
  startTcpProxy,
  tally,
} from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import {
  addPerformance,
  DEFAULT_SETTINGS,
  forgetTakenSeats,
  lapseHold,
  noPoints,
  outboxEvents,
  startBooking,
} from './helpers/booking.js'

const database = await createTestDatabase(t)
const { db } = database
const redis = createTestRedisPrefix(t)
const booking = await startBooking(t, { mysql: database.config, redis, points: noPoints, workers: false })

/** Live holds per seat of a performance, straight from the table. */
async function liveHoldsPerSeat(concertOptionId: number) {
  const rows = await db
    .selectFrom('reservation')
    .select(['seat_id', sql<number>`count(*)`.as('n')])
    .where('concert_option_id', '=', concertOptionId)
    .where('status', 'in', ['PENDING', 'PAID'])
    .groupBy('seat_id')
    .execute()
  return new Map(rows.map((r) => [r.seat_id, Number(r.n)]))
}

// The races run twice: as deployed, and with the seat memory off, so the database key alone is
// shown to settle them (it is what settles races between booking instances).
const withoutMemory = await startBooking(t, {
  mysql: database.config,
  redis,
  points: noPoints,
  workers: false,
  settings: { TAKEN_SEAT_MEMORY_MS: 0 },
})
const variants = [
  ['as deployed', booking],
  ['the database key alone', withoutMemory],
] as const

for (const [variant, app] of variants) {
  t.test(`500 users reserve one seat at once (${variant}): exactly one hold, every other answer is 409`, async (t) => {
    const { concertOptionId, seatIds } = await addPerformance(db, { seats: 1 })
    const seatId = seatIds[0] as number
    const responses = await concurrently(500, (i) => app.as(10_000 + i).reserve({ seatId }))
    t.same(tally(responses.map((r) => r.status)), { 200: 1, 409: 499 })
    t.ok(
      responses.filter((r) => r.status === 409).every((r) => r.body.code === 'SEAT_UNAVAILABLE'),
      'every loser is told the seat is unavailable',
    )
    const winner = responses.find((r) => r.status === 200)
    t.same([...(await liveHoldsPerSeat(concertOptionId))], [[seatId, 1]], 'one live reservation for the seat')
    const row = await db.selectFrom('reservation').selectAll().where('seat_id', '=', seatId).executeTakeFirstOrThrow()
    t.equal(row.id, winner?.body.data.reservationId)
    t.equal(row.user_id, 10_000 + responses.indexOf(winner as (typeof responses)[number]))
  })

  t.test(`1,000 users race for the 100 seats of one performance (${variant}): 100 holds, each seat once`, async (t) => {
    const { concertOptionId, seatIds } = await addPerformance(db, { seats: 100 })
    const heldBefore = await countRows(db, 'outbox', sql`event = 'reservation.held'`)
    const responses = await concurrently(1000, (i) => app.as(20_000 + i).reserve({ seatId: seatIds[i % 100] }))
    t.same(tally(responses.map((r) => r.status)), { 200: 100, 409: 900 })
    const perSeat = await liveHoldsPerSeat(concertOptionId)
    t.equal(perSeat.size, 100, 'every seat is held')
    t.ok(
      [...perSeat.values()].every((n) => n === 1),
      'no seat is held twice',
    )
    const held = new Set(responses.filter((r) => r.status === 200).map((r) => r.body.data.seatId))
    t.equal(held.size, 100, 'the 200s name 100 different seats')
    t.equal(await countRows(db, 'outbox', sql`event = 'reservation.held'`), heldBefore + 100, 'one held event per hold')
    const events = (await outboxEvents(db, 'reservation.held')).filter(
      (e) => e.payload.concertOptionId === concertOptionId,
    )
    const rows = await db
      .selectFrom('reservation')
      .select(['id', 'seat_id'])
      .where('concert_option_id', '=', concertOptionId)
      .execute()
    const pairs = (list: { id: unknown; seat: unknown }[]) => list.map((p) => `${p.id}:${p.seat}`).sort()
    t.same(
      pairs(events.map((e) => ({ id: e.payload.reservationId, seat: e.payload.seatId }))),
      pairs(rows.map((r) => ({ id: r.id, seat: r.seat_id }))),
      "each held event names its own hold's reservation and seat",
    )
  })
}

t.test('a seat just seen taken is refused without the database, until its memory ends', async (t) => {
  const { seatIds } = await addPerformance(db, { seats: 2 })
  const [taken, free] = seatIds as [number, number]
  const proxy = await startTcpProxy(t, database.config.MYSQL_HOST, database.config.MYSQL_PORT)
  t.teardown(() => proxy.enable())
  /** A booking instance whose database is behind the test's proxy, on a clock that moves only when told. */
  const behindProxy = () =>
    startBooking(t, {
      mysql: { ...database.config, MYSQL_HOST: '127.0.0.1', MYSQL_PORT: proxy.port },
      redis: createTestRedisPrefix(t),
      points: noPoints,
      workers: false,
      logLevel: 'fatal',
      stopped: true,
      poolSize: 2,
    })
  // Its clock never moves: the memory holds however slow the machine. What is under test is the answer.
  const remembering = await behindProxy()
  // Its clock is moved past the memory: what is under test is that it ends.
  const forgetting = await behindProxy()
  t.equal((await remembering.as(61).reserve({ seatId: taken })).status, 200)
  t.equal((await forgetting.as(62).reserve({ seatId: taken })).status, 409, 'the other instance sees it taken too')
  await proxy.disable()

  const stampede = await concurrently(200, (i) => remembering.as(63 + i).reserve({ seatId: taken }))
  t.same(
    tally(stampede.map((r) => r.status)),
    { 409: 200 },
    'a stampede on the held seat is answered with the database away',
  )
  t.ok(
    stampede.every((r) => r.body.code === 'SEAT_UNAVAILABLE'),
    'in the documented shape',
  )
  const unknown = await remembering.as(300).reserve({ seatId: free })
  t.equal(unknown.status, 503, 'a seat it has not seen taken still needs the database')
  forgetting.clock.advance(DEFAULT_SETTINGS.TAKEN_SEAT_MEMORY_MS)
  t.equal(
    (await forgetting.as(301).reserve({ seatId: taken })).status,
    503,
    'once the memory ends, the database decides again',
  )
  await Promise.all([remembering.close(), forgetting.close()])
})

t.test('control: without the unique key the same race double-books (the race test can fail)', async (t) => {
  const control = await createTestDatabase(t)
  // Test-only fixture: the guarantee switched off in this test's own database.
  await sql`alter table reservation drop index reservation_active_seat_id`.execute(control.db)
  await sql`create index reservation_active_seat_id_plain on reservation (active_seat_id)`.execute(control.db)
  const unguarded = await startBooking(t, {
    mysql: control.config,
    redis: createTestRedisPrefix(t),
    points: noPoints,
    workers: false,
    // The seat memory off too (it would settle a race inside one process), and more transactions
    // in flight at once, so the race the key normally settles surely happens.
    settings: { TAKEN_SEAT_MEMORY_MS: 0 },
    poolSize: 20,
  })
  // A round is the same 500-user race on ten fresh seats; without the key the first one almost always
  // double-books, and a few rounds make "almost" certain.
  let doubleBooked = 0
  let holds = 0
  for (let round = 0; round < 5 && doubleBooked === 0; round++) {
    const { concertOptionId, seatIds } = await addPerformance(control.db, { seats: 10 })
    const responses = await concurrently(500, (i) =>
      unguarded.as(30_000 + round * 1000 + i).reserve({ seatId: seatIds[i % 10] }),
    )
    holds = responses.filter((r) => r.status === 200).length
    const rows = await control.db
      .selectFrom('reservation')
      .select(['seat_id', sql<number>`count(*)`.as('n')])
      .where('concert_option_id', '=', concertOptionId)
      .where('status', '=', 'PENDING')
      .groupBy('seat_id')
      .execute()
    doubleBooked = rows.filter((r) => Number(r.n) > 1).length
  }
  t.ok(doubleBooked > 0, `seats sold more than once without the key: ${doubleBooked} of 10`)
  t.ok(holds > 10, `more holds than seats: ${holds}`)
  await unguarded.close()
})

t.test('a hold answers with the documented fields and can be read back by its user only', async (t) => {
  const { concertOptionId, seatIds } = await addPerformance(db, { seats: 2, price: 77_000 })
  const seatId = seatIds[1] as number
  const before = Date.now()
  const res = await booking.as(41).reserve({ seatId, userId: 41 })
  t.equal(res.status, 200)
  const data = res.body.data
  t.same(Object.keys(data).sort(), [
    'concertOptionId',
    'message',
    'price',
    'reservationExpireTime',
    'reservationId',
    'seatId',
    'seatNo',
    'status',
  ])
  t.match(data, { seatId, seatNo: 2, concertOptionId, price: 77_000, status: 'PENDING' })
  t.type(data.reservationId, 'number')
  t.type(data.message, 'string')
  const expires = Date.parse(data.reservationExpireTime)
  t.ok(expires >= before + 299_000 && expires <= Date.now() + 300_000, 'held for the hold time (5 min)')
  t.match(data.reservationExpireTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

  const mine = await booking.as(41).reservation(data.reservationId)
  t.equal(mine.status, 200)
  t.match(mine.body.data, {
    reservationId: data.reservationId,
    userId: 41,
    seatId,
    seatNo: 2,
    price: 77_000,
    status: 'PENDING',
    reservationExpireTime: data.reservationExpireTime,
    paidAt: null,
    paymentId: null,
  })
  const theirs = await booking.as(42).reservation(data.reservationId)
  t.equal(theirs.status, 404)
  t.equal(theirs.body.code, 'RESERVATION_NOT_FOUND')
  t.equal((await booking.as(41).reservation(987_654)).body.code, 'RESERVATION_NOT_FOUND')
})

t.test('refusals: unknown seat, someone else’s userId, no queue user', async (t) => {
  const { seatIds } = await addPerformance(db, { seats: 1 })
  const missing = await booking.as(51).reserve({ seatId: 99_999_999 })
  t.equal(missing.status, 404)
  t.match(missing.body, { statusCode: 404, code: 'SEAT_NOT_FOUND', error: 'Not Found' })
  const mismatch = await booking.as(51).reserve({ seatId: seatIds[0], userId: 52 })
  t.equal(mismatch.status, 403)
  t.equal(mismatch.body.code, 'USER_MISMATCH')
  const anonymous = await booking.api.post('/concerts/reserve-seat', { seatId: seatIds[0] })
  t.equal(anonymous.status, 401)
  t.equal((await booking.api.get('/reservations/1')).status, 401)
  t.equal((await booking.api.post('/payment/pay', { reservationId: 1 })).status, 401)
  t.equal(await countRows(db, 'reservation', sql`seat_id = ${seatIds[0]}`), 0, 'nothing was written')
})

t.test('a user may hold at most 4 seats per performance, even firing requests at once', async (t) => {
  const a = await addPerformance(db, { seats: 30 })
  const b = await addPerformance(db, { seats: 2 })
  for (const seatId of a.seatIds.slice(0, 4)) t.equal((await booking.as(61).reserve({ seatId })).status, 200)
  const fifth = await booking.as(61).reserve({ seatId: a.seatIds[4] })
  t.equal(fifth.status, 409)
  t.equal(fifth.body.code, 'HOLD_LIMIT_REACHED')
  t.equal((await booking.as(61).reserve({ seatId: b.seatIds[0] })).status, 200, 'another performance has its own cap')

  const burst = await concurrently(20, (i) => booking.as(62).reserve({ seatId: a.seatIds[10 + i] }))
  t.same(tally(burst.map((r) => r.status)), { 200: 4, 409: 16 })
  t.ok(
    burst.filter((r) => r.status === 409).every((r) => r.body.code === 'HOLD_LIMIT_REACHED'),
    'over the cap is HOLD_LIMIT_REACHED',
  )
  t.equal(
    await countRows(db, 'reservation', sql`user_id = 62 and status = 'PENDING'`),
    4,
    'four holds in the database, not more',
  )

  // A lapsed hold no longer counts, even before anything released it.
  const first = await db
    .selectFrom('reservation')
    .select('id')
    .where('user_id', '=', 61)
    .where('concert_option_id', '=', a.concertOptionId)
    .orderBy('id')
    .executeTakeFirstOrThrow()
  await lapseHold(db, first.id)
  t.equal((await booking.as(61).reserve({ seatId: a.seatIds[5] })).status, 200)
})

t.test('a lapsed hold frees its seat at once, before any job or sweep has run', async (t) => {
  const { seatIds } = await addPerformance(db, { seats: 1 })
  const seatId = seatIds[0] as number
  const first = await booking.as(71).reserve({ seatId })
  t.equal((await booking.as(72).reserve({ seatId })).status, 409, 'held while the hold lasts')
  await lapseHold(db, first.body.data.reservationId)
  forgetTakenSeats(booking)
  const second = await booking.as(72).reserve({ seatId })
  t.equal(second.status, 200, 'the next user gets the seat')
  const old = await db
    .selectFrom('reservation')
    .select('status')
    .where('id', '=', first.body.data.reservationId)
    .executeTakeFirstOrThrow()
  t.equal(old.status, 'EXPIRED')
  const released = (await outboxEvents(db, 'reservation.released')).filter(
    (e) => e.payload.reservationId === first.body.data.reservationId,
  )
  t.equal(released.length, 1, 'one release event for the lapsed hold')
  t.match(released[0]?.payload, { userId: 71, seatId, reason: 'EXPIRED' })
  t.equal((await booking.as(71).reservation(first.body.data.reservationId)).body.data.status, 'EXPIRED')
})

t.test('bad input on every route is a 400 naming the problem, and writes nothing', async (t) => {
  const before = await countRows(db, 'reservation')
  const user = 81
  const cases: Array<[string, () => Promise<ApiResponse>]> = [
    ['reserve: no body', () => booking.as(user).reserve(undefined)],
    ['reserve: missing seatId', () => booking.as(user).reserve({})],
    ['reserve: seatId as a string', () => booking.as(user).reserve({ seatId: '1' })],
    ['reserve: seatId 0', () => booking.as(user).reserve({ seatId: 0 })],
    ['reserve: seatId fractional', () => booking.as(user).reserve({ seatId: 1.5 })],
    ['reserve: userId negative', () => booking.as(user).reserve({ seatId: 1, userId: -1 })],
    ['reserve: unknown field', () => booking.as(user).reserve({ seatId: 1, seat: 2 })],
    [
      'reserve: malformed JSON',
      () =>
        booking.api.call('POST', '/concerts/reserve-seat', {
          rawBody: '{"seatId":',
          headers: {
            'content-type': 'application/json',
            ...gatewayHeaders('booking', 'POST', '/concerts/reserve-seat', { [QUEUE_USER_HEADER]: String(user) }),
          },
        }),
    ],
    ['pay: missing reservationId', () => booking.as(user).pay({})],
    ['pay: reservationId as a string', () => booking.as(user).pay({ reservationId: 'abc' })],
    ['pay: unknown field', () => booking.as(user).pay({ reservationId: 1, amount: 1 })],
    ['pay: idempotency key too long', () => booking.as(user).pay({ reservationId: 1 }, 'k'.repeat(129))],
    ['reservation: id not a number', () => booking.as(user).reservation('abc')],
    ['reservation: id 0', () => booking.as(user).reservation(0)],
    ['reservation: id too large', () => booking.as(user).reservation('99999999999999999999')],
  ]
  for (const [name, call] of cases) {
    const res = await call()
    t.equal(res.status, 400, name)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String }, name)
  }
  t.equal(await countRows(db, 'reservation'), before, 'nothing was written')
  t.equal(await countRows(db, 'payment'), 0)
})
