import type { RunningProcess } from '@stagepass/launcher'
import {
  type ApiClient,
  type ApiResponse,
  admittedToken,
  apiClient,
  countRows,
  eventually,
  readyOnOperationsPort,
  startSystem,
  startTcpProxy,
  type TcpProxy,
} from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { addPerformance } from './helpers/booking.js'

/** What the API docs tell a client: a payment whose answer was lost (502/503/504) is sent again, same key. */
async function payUntilAnswered(api: ApiClient, token: string, reservationId: number, key: string) {
  let res: ApiResponse | undefined
  await eventually(async () => {
    res = await api.post('/payment/pay', { reservationId }, { token, headers: { 'idempotency-key': key } })
    return ![502, 503, 504].includes(res.status)
  }, 30_000)
  return res as ApiResponse
}

t.test('a payment whose booking instance is SIGKILLed mid-payment, retried with its key, is paid once', async (t) => {
  const system = await startSystem(t, { mode: 'split', scale: { booking: 2 }, env: { QUEUE_TICK_MS: '50' } })
  const { db } = system
  const api = apiClient(system.baseUrl, { connections: 16 })
  t.teardown(() => api.close())
  const point = system.processes.find((p) => p.spec.name === 'point') as RunningProcess
  const bookings = system.processes.filter((p) => p.spec.name.startsWith('booking-'))

  // Each booking instance reaches point through a proxy of its own, so the test sees which one is paying.
  const proxies = new Map<RunningProcess, TcpProxy>()
  for (const booking of bookings) {
    const proxy = await startTcpProxy(t, '127.0.0.1', point.spec.port)
    proxies.set(booking, proxy)
    booking.spec.env.POINT_URLS = `http://127.0.0.1:${proxy.port}`
    const pid = booking.child.pid
    booking.child.kill('SIGKILL')
    t.ok(
      await eventually(async () => booking.child.pid !== pid && (await readyOnOperationsPort(booking)), 30_000),
      'restarted',
    )
  }

  const userId = 42
  await api.put('/points/charge', { userId, amount: 50_000 })
  const token = await admittedToken(api, userId)
  const { seatIds } = await addPerformance(db, { seats: 1, price: 30_000 })
  const hold = await api.post('/concerts/reserve-seat', { seatId: seatIds[0] }, { token })
  t.equal(hold.status, 200, 'the seat is held')
  const reservationId: number = hold.body.data.reservationId
  const key = `pay-${reservationId}`

  // The payment reaches a booking instance, which asks point for the points: that call is held on its way.
  for (const proxy of proxies.values()) proxy.hold((chunk) => chunk.includes('/internal/points/use'))
  const first = api.post('/payment/pay', { reservationId }, { token, headers: { 'idempotency-key': key } })
  let paying: RunningProcess | undefined
  await eventually(async () => {
    paying = [...proxies].find(([, proxy]) => proxy.heldBytes > 0)?.[0]
    return paying !== undefined
  })
  if (!paying) throw new Error('no booking instance called point')
  paying.child.kill('SIGKILL')
  const lost = await first
  t.ok([502, 503].includes(lost.status), `the payer's answer is lost: ${lost.status} ${lost.body.code}`)
  t.type(lost.body.code, 'string', 'in the documented error shape')

  // The use was already on its way: it lands, and the points are taken, with nobody left to record it.
  for (const proxy of proxies.values()) proxy.release()
  const uses = sql`reference = ${`reservation:${reservationId}`} and type = 'USE'`
  const pointUses = async () => {
    const { rows } = await sql<{ n: number }>`select count(*) as n from point_history where ${uses}`.execute(db)
    return Number(rows[0]?.n ?? 0)
  }
  t.ok(await eventually(async () => (await pointUses()) === 1), 'point took the points')

  const retried = await payUntilAnswered(api, token, reservationId, key)
  t.equal(retried.status, 200, 'the retry with the same key is answered')
  t.match(retried.body.data, { reservationId, price: 30_000, status: 'PAID', currentPoints: 20_000 })
  const again = await payUntilAnswered(api, token, reservationId, key)
  t.same(again.body, retried.body, 'and every later retry gets the same receipt')

  t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1, 'one payment')
  const payment = await db
    .selectFrom('payment')
    .select(['id', 'status'])
    .where('reservation_id', '=', reservationId)
    .executeTakeFirstOrThrow()
  t.equal(retried.body.data.paymentId, payment.id, "the receipt is that payment's")
  t.equal(await pointUses(), 1, 'one point use')
  t.equal(await countRows(db, 'reservation', sql`id = ${reservationId} and status = 'PAID'`), 1, 'the seat PAID once')
  t.equal(
    await countRows(db, 'reservation', sql`seat_id = ${seatIds[0]} and status in ('PENDING', 'PAID')`),
    1,
    'and nobody else holds it',
  )
  const balance = await api.get(`/points/current/${userId}`)
  t.equal(balance.body.data.currentPoints, 20_000, 'charged once')
})
