import { seedDemoDataIfEmpty } from '@stagepass/db'
import { EventPublisher } from '@stagepass/events'
import { admittedToken, apiClient, concurrently, eventually, type TestSystem, tally } from '@stagepass/testkit'
import type { Test } from 'tap'

/** The buyer's journey through the gateway: token, hold, pay, leave; and what others see meanwhile. */
export async function bookingSuite(t: Test, system: TestSystem) {
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())
  await seedDemoDataIfEmpty(system.db, () => {})
  // Performance 1 of concert 1 always has 100 seats; this suite takes its last ten.
  const seats = await system.db
    .selectFrom('seat')
    .select(['id', 'seat_no', 'price'])
    .where('concert_option_id', '=', 1)
    .orderBy('seat_no', 'desc')
    .limit(10)
    .execute()
  const seatIds = seats.map((s) => Number(s.id))
  const listed = async (token: string, seatId: number) => {
    const res = await api.get('/concerts/1/available-seats', { token })
    return res.body.data.seats.some((s: { seatId: number }) => s.seatId === seatId)
  }
  /** The seat as the seat map shows it to `token`'s user: nothing but its number, price and status. */
  const mapped = async (token: string, seatId: number) => {
    const res = await api.get('/concerts/1/seats', { token })
    return res.body.data.seats.find((s: { seatId: number }) => s.seatId === seatId)
  }
  const seatMapShows = (token: string, seatId: number, status: string) =>
    eventually(async () => (await mapped(token, seatId))?.status === status)

  await t.test('hold, pay, and the token is spent; the seat leaves the list', async (t) => {
    const userId = 8101
    const price = Number(seats[0]?.price)
    await api.put('/points/charge', { userId, amount: price + 500 })
    const token = await admittedToken(api, userId)
    const seatId = seatIds[0] as number
    t.ok(await listed(token, seatId), 'the seat is on sale')
    const seat = { seatId, seatNo: seats[0]?.seat_no, price }
    t.same(await mapped(token, seatId), { ...seat, status: 'FREE' }, 'the seat map shows it FREE')

    const hold = await api.post('/concerts/reserve-seat', { seatId, userId }, { token })
    t.equal(hold.status, 200)
    t.match(hold.body.data, { seatId, concertOptionId: 1, price, status: 'PENDING', reservationExpireTime: String })
    t.ok(await eventually(async () => !(await listed(token, seatId))), 'the held seat leaves available-seats')
    const onlooker = await admittedToken(api, 8103)
    t.ok(await seatMapShows(onlooker, seatId, 'HELD'), 'another user sees it HELD on the seat map')
    t.same(await mapped(onlooker, seatId), { ...seat, status: 'HELD' }, 'and nothing of the hold but that')

    const reservationId = hold.body.data.reservationId
    const paid = await api.post('/payment/pay', { reservationId }, { token, headers: { 'idempotency-key': 'e2e-1' } })
    t.equal(paid.status, 200)
    t.match(paid.body.data, { reservationId, price, status: 'PAID', currentPoints: 500 })
    t.equal((await api.get(`/points/current/${userId}`)).body.data.currentPoints, 500)
    const spent = await eventually(async () => {
      const res = await api.get(`/reservations/${reservationId}`, { token })
      return res.status === 401 && res.body.code === 'TOKEN_REVOKED'
    })
    t.ok(spent, 'after payment.completed the token no longer opens protected routes')
    const other = await admittedToken(api, 8102)
    t.notOk(await listed(other, seatId), 'a sold seat stays off the list')
    t.ok(await seatMapShows(other, seatId, 'SOLD'), 'the seat map shows it SOLD')
    t.same(await mapped(other, seatId), { ...seat, status: 'SOLD' }, 'with nothing of the buyer')
  })

  await t.test('two seats held, both paid one after the other; then the token is spent', async (t) => {
    const userId = 8111
    const [first, second] = [seatIds[4] as number, seatIds[5] as number]
    await api.put('/points/charge', { userId, amount: 1_000_000 })
    const token = await admittedToken(api, userId)
    const holds = [
      await api.post('/concerts/reserve-seat', { seatId: first }, { token }),
      await api.post('/concerts/reserve-seat', { seatId: second }, { token }),
    ]
    t.same(
      holds.map((h) => h.status),
      [200, 200],
    )
    const [one, two] = holds.map((h) => h.body.data.reservationId as number)
    const events = new EventPublisher(system.bus)
    t.teardown(() => events.close())
    const handledByQueue = async () => (await events.jobCounts()).queue?.completed ?? 0
    const before = await handledByQueue()
    t.equal((await api.post('/payment/pay', { reservationId: one }, { token })).status, 200)
    // The queue context has handled the first payment.completed while the second seat is still held.
    t.ok(await eventually(async () => (await handledByQueue()) > before), 'the queue handled the first payment')
    const status = await api.get(`/queue/tokens/status/${userId}`)
    t.match(status.body.data, { status: 'ACTIVE', token }, 'the token is still ACTIVE while a seat is held')
    const secondPaid = await api.post('/payment/pay', { reservationId: two }, { token })
    t.equal(secondPaid.status, 200, 'the token still pays for the seat it holds')
    const spent = await eventually(async () => (await api.get(`/reservations/${two}`, { token })).status === 401)
    t.ok(spent, 'with no hold left, the payment spends the token')
  })

  await t.test('50 ACTIVE users go for one seat: one hold, 49 SEAT_UNAVAILABLE', async (t) => {
    const users = Array.from({ length: 50 }, (_, i) => 8200 + i)
    const tokens = await concurrently(users.length, (i) => admittedToken(api, users[i] as number))
    const seatId = seatIds[1] as number
    const responses = await concurrently(users.length, (i) =>
      api.post('/concerts/reserve-seat', { seatId }, { token: tokens[i] }),
    )
    t.same(tally(responses.map((r) => r.status)), { 200: 1, 409: 49 })
    t.ok(responses.every((r) => r.status === 200 || r.body.code === 'SEAT_UNAVAILABLE'))
  })

  await t.test('a lapsed hold: pay is 410 and the seat is back on the list', async (t) => {
    const userId = 8301
    await api.put('/points/charge', { userId, amount: 1_000_000 })
    const token = await admittedToken(api, userId)
    const seatId = seatIds[2] as number
    const hold = await api.post('/concerts/reserve-seat', { seatId }, { token })
    t.equal(hold.status, 200)
    const reservationId = hold.body.data.reservationId
    await system.db
      .updateTable('reservation')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', reservationId)
      .execute()
    const expired = await api.post('/payment/pay', { reservationId }, { token })
    t.equal(expired.status, 410)
    t.equal(expired.body.code, 'RESERVATION_EXPIRED')
    t.equal((await api.get(`/points/current/${userId}`)).body.data.currentPoints, 1_000_000, 'nothing charged')
    t.ok(await eventually(() => listed(token, seatId)), 'the seat is back on the list')
    t.equal((await api.get(`/reservations/${reservationId}`, { token })).body.data.status, 'EXPIRED')
  })

  await t.test('refusals and bad input keep the documented shape', async (t) => {
    const token = await admittedToken(api, 8401)
    const unknown = await api.post('/concerts/reserve-seat', { seatId: 99_999_999 }, { token })
    t.match(unknown.body, { statusCode: 404, code: 'SEAT_NOT_FOUND', error: 'Not Found', message: String })
    const mismatch = await api.post('/concerts/reserve-seat', { seatId: seatIds[3], userId: 1 }, { token })
    t.match(mismatch.body, { statusCode: 403, code: 'USER_MISMATCH' })
    const missing = await api.post('/payment/pay', { reservationId: 99_999_999 }, { token })
    t.match(missing.body, { statusCode: 404, code: 'RESERVATION_NOT_FOUND' })
    for (const [path, body] of [
      ['/concerts/reserve-seat', { seatId: '1' }],
      ['/concerts/reserve-seat', { seatId: 1, extra: true }],
      ['/payment/pay', { reservationId: 0 }],
      ['/payment/pay', {}],
    ] as const) {
      const res = await api.post(path, body, { token })
      t.match(
        res.body,
        { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request' },
        `${path} ${JSON.stringify(body)}`,
      )
    }
    const badId = await api.get('/reservations/abc', { token })
    t.equal(badId.status, 400)
    for (const path of ['/concerts/reserve-seat', '/payment/pay']) {
      const res = await api.post(path, { seatId: seatIds[3], reservationId: 1 })
      t.equal(res.body.code, 'TOKEN_MISSING', path)
    }
  })
}
