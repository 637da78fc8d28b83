import { seedDemoDataIfEmpty } from '@stagepass/db'
import {
  bodyHash,
  createServiceAssertionSigner,
  DEVELOPMENT_BOOKING_ASSERTION_KEYS,
  parseAssertionKeys,
  QUEUE_USER_HEADER,
  SERVICE_ASSERTION_HEADER,
  USER_HEADER,
} from '@stagepass/kit'
import {
  type ApiResponse,
  admittedToken,
  apiClient,
  bookingSigner,
  countRows,
  gatewayHeaders,
  gatewaySigner,
  startSystem,
} from '@stagepass/testkit'
import { type RawBuilder, sql } from 'kysely'
import t from 'tap'

/**
 * Split mode with every context on its own port: whatever reaches a context without passing the
 * gateway (another pod, a container, an SSRF) is refused before anything is read or written, and
 * point's internal routes answer booking alone. Through the gateway, everything works as before.
 */
const system = await startSystem(t, { mode: 'split' })
const gateway = apiClient(system.baseUrl)
t.teardown(() => gateway.close())
const contextUrl = (name: string, port: 'port' | 'opsPort' = 'port') => {
  const proc = system.processes.find((p) => p.spec.name === name)
  if (!proc) throw new Error(`no ${name} process`)
  return `http://127.0.0.1:${proc.spec[port]}`
}
const point = apiClient(contextUrl('point'))
const booking = apiClient(contextUrl('booking'))
const concert = apiClient(contextUrl('concert'))
const queue = apiClient(contextUrl('queue'))
t.teardown(() => Promise.all([point, booking, concert, queue].map((api) => api.close())))
await seedDemoDataIfEmpty(system.db, () => {})

const balanceOf = async (userId: number) =>
  Number(
    (await system.db.selectFrom('point_wallet').select('balance').where('user_id', '=', userId).executeTakeFirst())
      ?.balance ?? 0,
  )
const count = (table: 'reservation' | 'point_history' | 'point_void', where?: RawBuilder<unknown>) =>
  countRows(system.db, table, where)
/** A signer with keys of the right shape that the system does not know. */
const forger = (caller: 'gateway' | 'booking') =>
  createServiceAssertionSigner({ caller, keys: parseAssertionKeys('dev:not-the-deployment-key-at-all') })

/** A paid seat bought through the gateway: what an attacker would like the points of back. */
async function paidSeat(userId: number, seatNo: number) {
  const seat = await system.db
    .selectFrom('seat')
    .select(['id', 'price'])
    .where('concert_option_id', '=', 2)
    .where('seat_no', '=', seatNo)
    .executeTakeFirstOrThrow()
  const price = Number(seat.price)
  await gateway.put('/points/charge', { userId, amount: price })
  const token = await admittedToken(gateway, userId)
  const hold = await gateway.post('/concerts/reserve-seat', { seatId: Number(seat.id) }, { token })
  const paid = await gateway.post('/payment/pay', { reservationId: hold.body.data.reservationId }, { token })
  if (paid.status !== 200) throw new Error(`payment failed: ${paid.status} ${JSON.stringify(paid.body)}`)
  return { reservationId: hold.body.data.reservationId as number, price, token }
}

t.test("point's refund from outside booking is refused and moves no points", async (t) => {
  const userId = 9101
  const { reservationId } = await paidSeat(userId, 1)
  t.equal(await balanceOf(userId), 0, 'the seat is paid for')
  const reference = `reservation:${reservationId}`
  const body = { reference }
  const path = '/internal/points/refund'
  const booking = (signer = bookingSigner(), signed: { url?: string; body?: unknown } = {}) =>
    signer.sign({
      audience: 'point',
      method: 'POST',
      url: signed.url ?? path,
      headers: {},
      bodyHash: bodyHash(JSON.stringify(signed.body ?? body)),
    })
  const attempts: Array<[string, Record<string, string>, number, string]> = [
    ['no assertion', {}, 401, 'SERVICE_ASSERTION_MISSING'],
    ['garbage', { [SERVICE_ASSERTION_HEADER]: 'let-me-in' }, 401, 'SERVICE_ASSERTION_INVALID'],
    [
      "booking's name, another key",
      { [SERVICE_ASSERTION_HEADER]: booking(forger('booking')) },
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      "the gateway's assertion, as it passes requests on",
      gatewayHeaders('point', 'POST', path),
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      "the gateway's key, binding the body too",
      { [SERVICE_ASSERTION_HEADER]: booking(gatewaySigner()) },
      403,
      'SERVICE_CALLER_FORBIDDEN',
    ],
    [
      "booking's assertion for another reference's refund",
      { [SERVICE_ASSERTION_HEADER]: booking(undefined, { body: { reference: 'reservation:999999' } }) },
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      "booking's assertion for a use, replayed on the refund",
      { [SERVICE_ASSERTION_HEADER]: booking(undefined, { url: '/internal/points/use' }) },
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
  ]
  for (const [name, headers, status, code] of attempts) {
    const res = await point.post(path, body, { headers })
    t.equal(res.status, status, name)
    t.equal(res.body.code, code, name)
  }
  const expired = createServiceAssertionSigner({
    caller: 'booking',
    keys: parseAssertionKeys(process.env.BOOKING_ASSERTION_KEYS || DEVELOPMENT_BOOKING_ASSERTION_KEYS),
    now: () => Date.now() - 60_000,
  })
  const late = await point.post(path, body, { headers: { [SERVICE_ASSERTION_HEADER]: booking(expired) } })
  t.equal(late.status, 401)
  t.equal(late.body.code, 'SERVICE_ASSERTION_EXPIRED')

  t.equal(await balanceOf(userId), 0, 'no point came back')
  t.equal(await count('point_history', sql`reference = ${reference} and type = 'REFUND'`), 0, 'no refund written')
  t.equal(await count('point_void'), 0, 'nothing voided')
  const reservation = await system.db
    .selectFrom('reservation')
    .select('status')
    .where('id', '=', reservationId)
    .executeTakeFirstOrThrow()
  t.equal(reservation.status, 'PAID', 'the seat stays sold')

  const use = await point.post(
    '/internal/points/use',
    { userId: 9102, amount: 1, reference: 'outside:1' },
    { headers: gatewayHeaders('point', 'POST', '/internal/points/use') },
  )
  t.equal(use.status, 401, 'nor can the gateway take points')
  t.equal(await count('point_history', sql`reference = 'outside:1'`), 0)
})

t.test('a forged identity header sent straight to a context is refused, and nothing is written', async (t) => {
  const victim = 9201
  await gateway.put('/points/charge', { userId: victim, amount: 50_000 })
  const reservations = await count('reservation')
  const seat = await system.db
    .selectFrom('seat')
    .select('id')
    .where('concert_option_id', '=', 2)
    .where('seat_no', '=', 2)
    .executeTakeFirstOrThrow()
  const asVictim = { [QUEUE_USER_HEADER]: String(victim) }

  const calls: Array<[string, () => Promise<ApiResponse>, number, string]> = [
    [
      'booking: hold as the victim, no assertion',
      () => booking.post('/concerts/reserve-seat', { seatId: Number(seat.id) }, { headers: asVictim }),
      401,
      'SERVICE_ASSERTION_MISSING',
    ],
    [
      "booking: the gateway's assertion for another user, with the victim's header",
      () =>
        booking.post(
          '/concerts/reserve-seat',
          { seatId: Number(seat.id) },
          {
            headers: {
              ...gatewayHeaders('booking', 'POST', '/concerts/reserve-seat', { [QUEUE_USER_HEADER]: '9202' }),
              ...asVictim,
            },
          },
        ),
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      'booking: an assertion forged with another key',
      () =>
        booking.post(
          '/concerts/reserve-seat',
          { seatId: Number(seat.id) },
          {
            headers: {
              ...asVictim,
              [SERVICE_ASSERTION_HEADER]: forger('gateway').sign({
                audience: 'booking',
                method: 'POST',
                url: '/concerts/reserve-seat',
                headers: asVictim,
              }),
            },
          },
        ),
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      "booking: the gateway's assertion for concert, replayed on booking",
      () =>
        booking.post(
          '/concerts/reserve-seat',
          { seatId: Number(seat.id) },
          { headers: gatewayHeaders('concert', 'POST', '/concerts/reserve-seat', asVictim) },
        ),
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      'concert: the catalog as the victim',
      () => concert.get('/concerts', { headers: asVictim }),
      401,
      'SERVICE_ASSERTION_MISSING',
    ],
    [
      'point: charge with a signed-in user header',
      () => point.put('/points/charge', { userId: victim, amount: 1 }, { headers: { [USER_HEADER]: String(victim) } }),
      401,
      'SERVICE_ASSERTION_MISSING',
    ],
    [
      "point: the gateway's assertion for one wallet, replayed on another",
      () => point.get(`/points/history/${victim}`, { headers: gatewayHeaders('point', 'GET', '/points/history/1') }),
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      "point: the gateway's assertion for a query, replayed with another",
      () =>
        point.get(`/points/history/${victim}?limit=100`, {
          headers: gatewayHeaders('point', 'GET', `/points/history/${victim}?limit=1`),
        }),
      401,
      'SERVICE_ASSERTION_INVALID',
    ],
    [
      'queue: join as the victim',
      () => queue.post('/queue/tokens', { userId: victim }, { headers: { [USER_HEADER]: String(victim) } }),
      401,
      'SERVICE_ASSERTION_MISSING',
    ],
  ]
  for (const [name, call, status, code] of calls) {
    const res = await call()
    t.equal(res.status, status, name)
    t.equal(res.body.code, code, name)
  }
  t.equal(await count('reservation'), reservations, 'no hold made')
  t.equal(await balanceOf(victim), 50_000, 'the wallet untouched')

  // The same requests, signed as the gateway signs them, are answered: the check is the assertion.
  const signed = await point.get(`/points/current/${victim}`, {
    headers: gatewayHeaders('point', 'GET', `/points/current/${victim}`),
  })
  t.equal(signed.status, 200)
  t.equal(signed.body.data.currentPoints, 50_000)
  const query = await point.get(`/points/history/${victim}?limit=1&cursor=999999`, {
    headers: gatewayHeaders('point', 'GET', `/points/history/${victim}?cursor=999999&limit=1`),
  })
  t.equal(query.status, 200, 'the query is compared in one canonical form')
})

t.test('liveness and the operations port answer without an assertion', async (t) => {
  const publicPorts = { point, booking, concert, queue }
  for (const [name, api] of Object.entries(publicPorts)) {
    const ops = apiClient(contextUrl(name, 'opsPort'))
    t.teardown(() => ops.close())
    t.equal((await api.get('/health/live')).status, 200, `${name}: liveness`)
    t.equal((await ops.get('/health/ready')).status, 200, `${name}: readiness`)
    t.equal((await ops.get('/metrics')).status, 200, `${name}: metrics`)
  }
  const pointOps = apiClient(contextUrl('point', 'opsPort'))
  t.teardown(() => pointOps.close())
  const metrics = await pointOps.get('/metrics')
  t.match(String(metrics.body), /service_assertion_refusals_total\{code="SERVICE_ASSERTION_MISSING"\} [1-9]/)
})

t.test('through the gateway every context answers, signed on the way', async (t) => {
  const userId = 9301
  const { price } = await paidSeat(userId, 3)
  t.ok(price > 0)
  t.equal((await gateway.get(`/points/current/${userId}`)).body.data.currentPoints, 0)
  const history = await gateway.get(`/points/history/${userId}?limit=5`)
  t.equal(history.status, 200)
  t.same(
    history.body.data.history.map((h: { type: string }) => h.type),
    ['USE', 'CHARGE'],
  )
  t.equal(
    (await gateway.post('/internal/points/refund', { reference: 'x' })).status,
    404,
    'internal routes are not routed',
  )
})
