import { seedDemoDataIfEmpty } from '@stagepass/db'
import { DEVELOPMENT_USER_TOKEN_SECRET, DEVELOPMENT_USER_TOKENS, signUserToken } from '@stagepass/kit'
import type { Mode } from '@stagepass/launcher'
import { admittedToken, apiClient, concurrently, recordResponses, startSystem, tally } from '@stagepass/testkit'
import { generateKeyPair, SignJWT } from 'jose'
import { sql } from 'kysely'
import t from 'tap'
import { seenResponsesMatchDocument } from '../public-contract.js'

/**
 * The adversary's view of user identity (USER_AUTH=jwt), through the gateway: acting as another
 * user with no token, with someone else's token, with forged, expired, wrong-audience and wrong-key
 * tokens, with a stolen queue token. Each attempt gets its documented 4xx and writes nothing.
 */

const SETTINGS = DEVELOPMENT_USER_TOKENS
const DAILY_LIMIT = 1_000_000

export async function identitySuite(mode: Mode) {
  const system = await startSystem(t, {
    mode,
    // The daily limit is proven with 200 concurrent top-ups of one user, which the gateway's request
    // limit on points (on with user tokens) would cut short; the other groups keep their defaults.
    env: { USER_AUTH: 'jwt', POINT_DAILY_CHARGE_LIMIT: String(DAILY_LIMIT), RATE_LIMIT_POINTS: 'off' },
  })
  const recording = recordResponses()
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())
  await seedDemoDataIfEmpty(system.db, () => {})
  const userToken = (userId: number) => signUserToken(SETTINGS, userId)
  const as = async (userId: number) => ({ token: await userToken(userId) })

  const written = async (userId: number) => {
    const history = await system.db
      .selectFrom('point_history')
      .select(sql<number>`count(*)`.as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
    const queued = await api.get(`/queue/tokens/status/${userId}`, await as(userId))
    return { history: Number(history.n), queue: queued.status }
  }
  const nothingWritten = { history: 0, queue: 404 }

  /** Every route that names a user, as an attacker would call it for `victim`. */
  const attempts = (victim: number) =>
    [
      ['PUT', '/points/charge', { userId: victim, amount: 1000 }],
      ['GET', `/points/current/${victim}`, undefined],
      ['GET', `/points/history/${victim}`, undefined],
      ['POST', '/queue/tokens', { userId: victim }],
      ['GET', `/queue/tokens/status/${victim}`, undefined],
    ] as const

  await t.test(`${mode}: no user token, no access to any user's points or place in line`, async (t) => {
    const victim = 9101
    for (const [method, path, body] of attempts(victim)) {
      const res = await api.call(method, path, { body })
      t.equal(res.status, 401, `${method} ${path}`)
      t.equal(res.body.code, 'USER_TOKEN_MISSING', `${method} ${path}`)
    }
    const res = await api.get('/queue/tokens/status')
    t.equal(res.body.code, 'USER_TOKEN_MISSING', 'nor the by-token status')
    t.same(await written(victim), nothingWritten)
  })

  await t.test(`${mode}: a valid token of another user cannot read, charge or queue for the victim`, async (t) => {
    const victim = 9102
    const attacker = await as(9103)
    // The victim is in line: the attacker must not get their queue token from the status route.
    t.equal((await api.post('/queue/tokens', { userId: victim }, await as(victim))).status, 200)
    for (const [method, path, body] of attempts(victim)) {
      const res = await api.call(method, path, { body, ...attacker })
      t.equal(res.status, 403, `${method} ${path}`)
      t.same(Object.keys(res.body).sort(), ['code', 'error', 'message', 'statusCode'], 'no token in the answer')
      t.equal(res.body.code, 'USER_MISMATCH', `${method} ${path}`)
    }
    // A client-sent identity header changes nothing: the gateway drops it.
    const spoofed = await api.put(
      '/points/charge',
      { userId: victim, amount: 1000 },
      { ...attacker, headers: { 'x-user-id': String(victim), 'x-queue-user-id': String(victim) } },
    )
    t.equal(spoofed.body.code, 'USER_MISMATCH')
    const history = await system.db.selectFrom('point_history').select('id').where('user_id', '=', victim).execute()
    t.equal(history.length, 0, 'the victim has no charge')
    t.equal((await written(9103)).queue, 404, 'the attacker did not join the line either')
  })

  await t.test(`${mode}: forged, expired, wrong-audience and wrong-key tokens are refused`, async (t) => {
    const victim = 9104
    const now = Math.floor(Date.now() / 1000)
    const secret = new TextEncoder().encode(DEVELOPMENT_USER_TOKEN_SECRET)
    const claims = (overrides: Record<string, unknown>, alg = 'HS256') =>
      new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject(String(overrides.sub ?? victim))
        .setIssuer(String(overrides.iss ?? SETTINGS.USER_TOKEN_ISSUER))
        .setAudience(String(overrides.aud ?? SETTINGS.USER_TOKEN_AUDIENCE))
        .setExpirationTime(Number(overrides.exp ?? now + 600))
    const { privateKey } = await generateKeyPair('ES256')
    const genuine = await userToken(9105)
    const [header, , signature] = genuine.split('.')
    const payload = Buffer.from(
      JSON.stringify({
        sub: String(victim),
        iss: SETTINGS.USER_TOKEN_ISSUER,
        aud: SETTINGS.USER_TOKEN_AUDIENCE,
        exp: now + 600,
      }),
    )
    const cases: Array<[string, string, string]> = [
      ['expired', await claims({ exp: now - 10 }).sign(secret), 'USER_TOKEN_EXPIRED'],
      ['wrong audience', await claims({ aud: 'another-app' }).sign(secret), 'USER_TOKEN_INVALID'],
      ['wrong issuer', await claims({ iss: 'https://evil.example/' }).sign(secret), 'USER_TOKEN_INVALID'],
      ['wrong key', await claims({}).sign(new TextEncoder().encode('x'.repeat(40))), 'USER_TOKEN_INVALID'],
      ['another algorithm and key', await claims({}, 'ES256').sign(privateKey), 'USER_TOKEN_INVALID'],
      [
        'payload swapped under a genuine signature',
        `${header}.${payload.toString('base64url')}.${signature}`,
        'USER_TOKEN_INVALID',
      ],
      ['garbage', 'not-a-jwt', 'USER_TOKEN_INVALID'],
    ]
    for (const [name, token, code] of cases) {
      for (const [method, path, body] of attempts(victim)) {
        const res = await api.call(method, path, { body, token })
        t.same([res.status, res.body.code], [401, code], `${name}: ${method} ${path}`)
      }
    }
    t.same(await written(victim), nothingWritten)
  })

  await t.test(`${mode}: a stolen queue token does not serve a user signed in as someone else`, async (t) => {
    const victim = 9106
    const thief = await userToken(9107)
    const queueToken = await admittedToken(api, victim, { userToken: await userToken(victim) })
    const [seat] = await system.db.selectFrom('seat').select('id').where('concert_option_id', '=', 2).limit(1).execute()
    const headers = { 'x-user-token': thief }
    const list = await api.get('/concerts', { token: queueToken, headers })
    t.same([list.status, list.body.code], [403, 'USER_MISMATCH'])
    const hold = await api.post('/concerts/reserve-seat', { seatId: Number(seat?.id) }, { token: queueToken, headers })
    t.same([hold.status, hold.body.code], [403, 'USER_MISMATCH'])
    const reservations = await system.db.selectFrom('reservation').select('id').where('user_id', '=', victim).execute()
    t.equal(reservations.length, 0, 'no seat was held')
    const badUserToken = await api.get('/concerts', { token: queueToken, headers: { 'x-user-token': 'forged' } })
    t.same([badUserToken.status, badUserToken.body.code], [401, 'USER_TOKEN_INVALID'])
    const owner = await api.get('/concerts', {
      token: queueToken,
      headers: { 'x-user-token': await userToken(victim) },
    })
    t.equal(owner.status, 200, "the queue token's own user passes")
  })

  await t.test(`${mode}: signed in, a user charges, queues, holds and pays as themselves`, async (t) => {
    const userId = 9108
    const me = await as(userId)
    t.equal((await api.put('/points/charge', { userId, amount: 500_000 }, me)).status, 200)
    const queueToken = await admittedToken(api, userId, { userToken: me.token })
    const byToken = await api.get('/queue/tokens/status', me)
    t.match(byToken.body.data, { userId, status: 'ACTIVE', token: queueToken }, 'the by-token status is the user’s own')
    const [seat] = await system.db.selectFrom('seat').select('id').where('concert_option_id', '=', 3).limit(1).execute()
    const hold = await api.post('/concerts/reserve-seat', { seatId: Number(seat?.id) }, { token: queueToken })
    t.equal(hold.status, 200)
    const paid = await api.post('/payment/pay', { reservationId: hold.body.data.reservationId }, { token: queueToken })
    t.equal(paid.status, 200)
    t.equal((await api.get(`/points/current/${userId}`, me)).body.data.currentPoints, paid.body.data.currentPoints)
  })

  await t.test(`${mode}: 200 concurrent top-ups stop exactly at the daily limit`, async (t) => {
    const userId = 9109
    const me = await as(userId)
    const amount = 10_000
    const results = await concurrently(200, () => api.put('/points/charge', { userId, amount }, me))
    t.same(tally(results.map((r) => `${r.status} ${r.body.code ?? ''}`.trim())), {
      200: DAILY_LIMIT / amount,
      '409 DAILY_CHARGE_LIMIT': 200 - DAILY_LIMIT / amount,
    })
    const wallet = await system.db
      .selectFrom('point_wallet')
      .select('balance')
      .where('user_id', '=', userId)
      .executeTakeFirst()
    t.equal(Number(wallet?.balance), DAILY_LIMIT, 'the balance is the limit, no more')
    const history = await system.db
      .selectFrom('point_history')
      .select([sql<number>`count(*)`.as('n'), sql<string>`sum(amount)`.as('total')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
    t.same(
      [Number(history.n), Number(history.total)],
      [DAILY_LIMIT / amount, DAILY_LIMIT],
      'history matches the balance',
    )
  })

  await t.test(`${mode}: every response above is in the public document`, (t) => {
    recording.stop()
    return seenResponsesMatchDocument(t, system.baseUrl, recording.seen)
  })
}
