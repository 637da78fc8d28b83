import type { Mode } from '@stagepass/launcher'
import {
  type ApiClient,
  apiClient,
  concurrently,
  countRows,
  eventually,
  startSystem,
  tally,
  tallyAnswers,
} from '@stagepass/testkit'
import { sql } from 'kysely'
import type { Test } from 'tap'
import { addPerformance, lapseHold } from './booking.js'

/** ACTIVE queue tokens for users, got the way clients get them: join the line, poll until admitted. */
async function activeTokens(api: ApiClient, userIds: number[]): Promise<Map<number, string>> {
  const tokens = new Map<number, string>()
  await concurrently(userIds.length, async (i) => {
    const res = await api.post('/queue/tokens', { userId: userIds[i] })
    if (res.status !== 200) throw new Error(`POST /queue/tokens answered ${res.status}`)
  })
  await eventually(
    async () => {
      const waiting = userIds.filter((id) => !tokens.has(id))
      const statuses = await concurrently(waiting.length, (i) => api.get(`/queue/tokens/status/${waiting[i]}`))
      for (const [i, res] of statuses.entries()) {
        if (res.body?.data?.status === 'ACTIVE') tokens.set(waiting[i] as number, res.body.data.token)
      }
      return tokens.size === userIds.length
    },
    10_000,
    100,
  )
  if (tokens.size < userIds.length) throw new Error(`${userIds.length - tokens.size} users were not admitted`)
  return tokens
}

/**
 * Booking's public API through the gateway, with real queue tokens, in one mode: the whole system
 * as `npm start` runs it (point over HTTP in split mode, in-process in the monolith).
 */
export async function bookingThroughGateway(t: Test, mode: Mode) {
  const system = await startSystem(t, {
    mode,
    // Admit everyone at once: these tests are about seats and money, not the waiting room.
    env: { QUEUE_ADMIT_PER_SECOND: '100000', QUEUE_MAX_ACTIVE: '100000', QUEUE_TICK_MS: '50' },
  })
  const { db } = system
  const api = apiClient(system.baseUrl, { connections: 256 })
  t.teardown(() => api.close())
  const tokens = await activeTokens(
    api,
    Array.from({ length: 1600 }, (_, i) => 1 + i),
  )
  const token = (userId: number) => tokens.get(userId) as string
  const reserve = (userId: number, body: unknown) => api.post('/concerts/reserve-seat', body, { token: token(userId) })
  const pay = (userId: number, reservationId: number, key?: string) =>
    api.post(
      '/payment/pay',
      { reservationId },
      { token: token(userId), ...(key ? { headers: { 'idempotency-key': key } } : {}) },
    )
  const balance = async (userId: number) => (await api.get(`/points/current/${userId}`)).body.data.currentPoints

  await t.test('booking routes need an ACTIVE queue token', async (t) => {
    for (const [method, path] of [
      ['POST', '/concerts/reserve-seat'],
      ['POST', '/payment/pay'],
      ['GET', '/reservations/1'],
    ] as const) {
      const res = await api.call(method, path, { body: method === 'POST' ? {} : undefined })
      t.equal(res.status, 401, path)
      t.equal(res.body.code, 'TOKEN_MISSING', path)
      const forged = await api.call(method, path, { body: method === 'POST' ? {} : undefined, token: 'forged' })
      t.equal(forged.body.code, 'TOKEN_INVALID', path)
    }
  })

  await t.test('500 ACTIVE users reserve one seat at once: one 200, 499 409, no 5xx', async (t) => {
    const { seatIds } = await addPerformance(db, { seats: 1 })
    const responses = await concurrently(500, (i) => reserve(1 + i, { seatId: seatIds[0] }))
    t.same(tallyAnswers(responses), { 200: 1, '409 SEAT_UNAVAILABLE': 499 })
    t.equal(await countRows(db, 'reservation', sql`seat_id = ${seatIds[0]} and status = 'PENDING'`), 1)
  })

  await t.test('1,000 ACTIVE users race for 100 seats: 100 holds, each seat once', async (t) => {
    const { concertOptionId, seatIds } = await addPerformance(db, { seats: 100 })
    const responses = await concurrently(1000, (i) => reserve(501 + i, { seatId: seatIds[i % 100] }))
    t.same(tallyAnswers(responses), { 200: 100, '409 SEAT_UNAVAILABLE': 900 })
    const { rows } = await sql<{ seats: number; holds: number }>`
      select count(distinct seat_id) as seats, count(*) as holds from reservation
      where concert_option_id = ${concertOptionId} and status in ('PENDING', 'PAID')`.execute(db)
    t.same(
      rows.map((r) => [Number(r.seats), Number(r.holds)]),
      [[100, 100]],
    )
  })

  await t.test('pay: once for 100 racing requests with one key, then the token is spent', async (t) => {
    const userId = 1501
    await api.put('/points/charge', { userId, amount: 60_000 })
    const { seatIds } = await addPerformance(db, { seats: 1, price: 45_000 })
    const hold = await reserve(userId, { seatId: seatIds[0], userId })
    t.equal(hold.status, 200)
    const reservationId = hold.body.data.reservationId
    const paid = await concurrently(100, () => pay(userId, reservationId, `${mode}-key`))
    t.same(tally(paid.map((r) => r.status)), { 200: 100 })
    t.equal(new Set(paid.map((r) => JSON.stringify(r.body))).size, 1, 'the same answer every time')
    t.match(paid[0]?.body.data, { reservationId, price: 45_000, status: 'PAID', currentPoints: 15_000 })
    t.equal(await balance(userId), 15_000, 'charged once')
    t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1)
    t.ok(
      await eventually(async () => {
        const res = await api.get(`/reservations/${reservationId}`, { token: token(userId) })
        return res.status === 401 && res.body.code === 'TOKEN_REVOKED'
      }, 10_000),
      'payment.completed expires the payer’s token',
    )
  })

  await t.test('pay without a key twice: 409 ALREADY_PAID; refusals leave everything as it was', async (t) => {
    const { seatIds } = await addPerformance(db, { seats: 4, price: 30_000 })
    const [buyer, poor, stranger, late] = [1502, 1503, 1504, 1505]
    for (const userId of [buyer, stranger, late]) await api.put('/points/charge', { userId, amount: 30_000 })
    await api.put('/points/charge', { userId: poor, amount: 29_999 })

    const held = (await reserve(buyer, { seatId: seatIds[0] })).body.data.reservationId
    const racing = await concurrently(20, () => pay(buyer, held))
    t.same(tally(racing.map((r) => r.status)), { 200: 1, 409: 19 })
    t.ok(racing.filter((r) => r.status === 409).every((r) => r.body.code === 'ALREADY_PAID'))
    t.equal(await balance(buyer), 0)

    const poorHold = (await reserve(poor, { seatId: seatIds[1] })).body.data.reservationId
    const refused = await pay(poor, poorHold)
    t.equal(refused.status, 409)
    t.equal(refused.body.code, 'INSUFFICIENT_POINTS')
    t.equal(await balance(poor), 29_999)
    t.equal((await api.get(`/reservations/${poorHold}`, { token: token(poor) })).body.data.status, 'PENDING')

    const notYours = await pay(stranger, poorHold)
    t.equal(notYours.status, 404)
    t.equal(notYours.body.code, 'RESERVATION_NOT_FOUND')
    t.equal((await api.get(`/reservations/${poorHold}`, { token: token(stranger) })).status, 404)
    t.equal(await balance(stranger), 30_000)

    const lateHold = (await reserve(late, { seatId: seatIds[2] })).body.data.reservationId
    await lapseHold(db, lateHold)
    const expired = await pay(late, lateHold)
    t.equal(expired.status, 410)
    t.equal(expired.body.code, 'RESERVATION_EXPIRED')
    t.equal(await balance(late), 30_000)
    // A booking process that saw the seat taken recalls it for up to TAKEN_SEAT_MEMORY_MS (the expiry
    // moved behind its back); a refused reserve writes nothing, so ask until that memory has run out.
    t.ok(
      await eventually(async () => (await reserve(stranger, { seatId: seatIds[2] })).status === 200),
      'the lapsed seat is reservable again',
    )

    const mismatch = await reserve(stranger, { seatId: seatIds[3], userId: late })
    t.equal(mismatch.status, 403)
    t.equal(mismatch.body.code, 'USER_MISMATCH')
  })

  await t.test('bad input on every booking route: 400 VALIDATION_ERROR', async (t) => {
    const userId = 1510
    for (const [name, res] of [
      ['reserve: seatId string', await reserve(userId, { seatId: 'x' })],
      ['reserve: extra field', await reserve(userId, { seatId: 1, price: 0 })],
      ['pay: reservationId missing', await api.post('/payment/pay', {}, { token: token(userId) })],
      ['pay: reservationId negative', await pay(userId, -1)],
      ['reservation: id not numeric', await api.get('/reservations/x', { token: token(userId) })],
    ] as const) {
      t.equal(res.status, 400, name)
      t.equal(res.body.code, 'VALIDATION_ERROR', name)
    }
  })
}
