import { EventPublisher } from '@stagepass/events'
import { connectRedis, parseQueueTokenKeys } from '@stagepass/kit'
import { createChallengeSigner, queueKeys, solveChallenge } from '@stagepass/queue'
import {
  admittedToken,
  apiClient,
  concurrently,
  startSystem,
  startTcpProxy,
  type TestSystem,
  tally,
  waitFor,
} from '@stagepass/testkit'
import type { Test } from 'tap'
import { ROUTE_TABLE } from '../../../src/route-table.js'

const ADMIN_KEY = 'e2e-queue-admin-key-0123456789'
const TOKEN_KEYS = 'e2e:e2e-queue-token-key-0123456789'
/**
 * Short, so the expiry test ends soon; long enough that the tests which hold an ACTIVE token through
 * several calls (a revocation delivered by BullMQ, say) finish within it on a loaded machine.
 */
const ACTIVE_TTL_SECONDS = 5
/** Requests with Redis away give up on their own after this long: a hang fails the test instead of stalling it. */
const bounded = { timeoutMs: 15_000 }

/**
 * The waiting room through the gateway. It pauses admission, changes the rate and the cap, and
 * takes Redis away, none of which the other suites should live through, so it runs on a system of
 * its own (same mode), whose Redis sits behind a proxy this suite can switch off. On a Redis Cluster
 * there is no proxy (clients follow the addresses the cluster gives them, around any proxy): its
 * outage is a failover, measured by the queue's failover bench instead.
 */
export async function queueSuite(t: Test, shared: TestSystem) {
  const clustered = shared.redisClusterNodes !== ''
  const redis = new URL(shared.redisUrl)
  const proxy = await startTcpProxy(t, redis.hostname, Number(redis.port || 6379))
  const system = await startSystem(t, {
    mode: shared.mode,
    env: {
      REDIS_URL: clustered ? shared.redisUrl : `redis://127.0.0.1:${proxy.port}`,
      REDIS_CLUSTER_NODES: shared.redisClusterNodes,
      QUEUE_ADMIN_KEY: ADMIN_KEY,
      QUEUE_TOKEN_KEYS: TOKEN_KEYS,
      QUEUE_ACTIVE_TTL_SECONDS: String(ACTIVE_TTL_SECONDS),
      QUEUE_TICK_MS: '50',
    },
  })
  const api = apiClient(system.baseUrl)
  const admin = apiClient(system.queueAdminUrl)
  const publisher = new EventPublisher(system.bus)
  t.teardown(async () => {
    await Promise.all([api.close(), admin.close(), publisher.close()])
  })
  const adminHeaders = { 'x-admin-key': ADMIN_KEY }
  const changeAdmission = async (body: Record<string, unknown>) => {
    const res = await admin.call('PATCH', '/admin/queue', { body, headers: adminHeaders })
    if (res.status !== 200) throw new Error(`PATCH /admin/queue answered ${res.status}`)
    return res.body.data
  }
  const statusByToken = (token: string) => api.get('/queue/tokens/status', { token })
  const guarded = ROUTE_TABLE.filter((route) => route.guarded).map((route) => route.prefix)

  await t.test('bad input on every queue route is a 400 naming the problem', async (t) => {
    const cases: Array<[string, string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }]> = [
      ['POST', '/queue/tokens', { body: {} }],
      ['POST', '/queue/tokens', { body: { userId: 0 } }],
      ['POST', '/queue/tokens', { body: { userId: -3 } }],
      ['POST', '/queue/tokens', { body: { userId: 1.5 } }],
      ['POST', '/queue/tokens', { body: { userId: '12' } }],
      ['POST', '/queue/tokens', { body: { userId: 2 ** 53 } }],
      ['POST', '/queue/tokens', { body: { userId: 12, admitted: true } }],
      ['POST', '/queue/tokens', { body: [12] }],
      ['POST', '/queue/tokens', { rawBody: '{"userId":', headers: { 'content-type': 'application/json' } }],
      ['POST', '/queue/tokens', { rawBody: 'userId=12', headers: { 'content-type': 'text/plain' } }],
      ['GET', '/queue/tokens/status/abc', {}],
      ['GET', '/queue/tokens/status/0', {}],
      ['GET', '/queue/tokens/status/-1', {}],
      ['GET', '/queue/tokens/status/1.5', {}],
      ['GET', '/queue/tokens/status/99999999999999999999', {}],
    ]
    for (const [method, path, options] of cases) {
      const res = await api.call(method, path, options)
      const label = `${method} ${path} ${JSON.stringify(options.body ?? options.rawBody ?? '')}`
      t.equal(res.status, 400, label)
      t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String }, label)
    }
    t.equal((await api.get('/queue/tokens/status/424242')).status, 404, 'and nothing was stored')
  })

  await t.test('/admin/queue is served only on the queue port, and only with the key', async (t) => {
    for (const method of ['GET', 'PATCH']) {
      const res = await api.call(method, '/admin/queue', { body: { paused: true }, headers: adminHeaders })
      t.equal(res.status, 404, `${method} /admin/queue through the gateway: 404`)
    }
    t.equal((await admin.get('/admin/queue')).status, 401, 'the queue port wants the key')
    const stats = await admin.get('/admin/queue', { headers: adminHeaders })
    t.match(stats.body.data, { paused: false, admitPerSecond: 100, maxActive: 1000, waiting: Number, active: Number })
  })

  await t.test('1,000 users joining at once get the places 0..999, and are admitted in that order', async (t) => {
    await changeAdmission({ paused: true })
    const joins = await concurrently(1000, (i) => api.post('/queue/tokens', { userId: 100_000 + i }))
    t.same(tally(joins.map((r) => r.status)), { 200: 1000 })
    const places = joins.map((r) => r.body.data.queueOrder as number)
    t.same(
      [...places].sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i),
      'unique and dense',
    )
    t.equal(new Set(joins.map((r) => r.body.data.token)).size, 1000, 'a token each')
    t.ok(
      joins.every((r) => r.body.data.status === 'WAITING' && r.body.data.remainingTime >= 1),
      'all WAITING, with an estimate',
    )

    await changeAdmission({ paused: false, admitPerSecond: 300 })
    // Paused again once the first in line is in: a few ticks at most, of more than three seconds' worth.
    const first = joins.find((r) => r.body.data.queueOrder === 0)?.body.data.token
    await waitFor(async () => ((await statusByToken(first)).body.data.status === 'ACTIVE' ? true : undefined))
    await changeAdmission({ paused: true })
    const statuses = await concurrently(1000, (i) => statusByToken(joins[i]?.body.data.token))
    const admitted = statuses.filter((r) => r.body.data.status === 'ACTIVE').length
    t.ok(admitted > 0 && admitted < 1000, `${admitted} admitted while admission ran`)
    const outOfOrder = statuses.filter((r, i) => {
      const place = places[i] as number
      const { status, queueOrder } = r.body.data
      return place < admitted ? status !== 'ACTIVE' : status !== 'WAITING' || queueOrder !== place - admitted
    })
    t.equal(outOfOrder.length, 0, 'exactly the first in line were admitted; the rest moved up, in order')

    // Let the rest in, so the line is empty for what follows.
    await changeAdmission({ paused: false, admitPerSecond: 100_000, maxActive: 100_000 })
    await waitFor(async () =>
      (await admin.get('/admin/queue', { headers: adminHeaders })).body.data.waiting === 0 ? true : undefined,
    )
  })

  await t.test('1,000 joins of one user at once hold one place with one token', async (t) => {
    await changeAdmission({ paused: true })
    const before = (await admin.get('/admin/queue', { headers: adminHeaders })).body.data.waiting
    const joins = await concurrently(1000, () => api.post('/queue/tokens', { userId: 5151 }))
    t.same(tally(joins.map((r) => r.status)), { 200: 1000 })
    t.equal(new Set(joins.map((r) => r.body.data.token)).size, 1, 'one token')
    t.equal(new Set(joins.map((r) => r.body.data.queueOrder)).size, 1, 'one place')
    const after = (await admin.get('/admin/queue', { headers: adminHeaders })).body.data.waiting
    t.equal(after, before + 1, 'one more user waiting')
    await changeAdmission({ paused: false })
  })

  await t.test(
    'a flood of new users against a full line: 503 QUEUE_FULL, and the line in Redis stays put',
    async (t) => {
      await changeAdmission({ paused: true })
      const before = (await admin.get('/admin/queue', { headers: adminHeaders })).body.data
      const capacity = before.waiting + before.preQueue + 40
      await changeAdmission({ capacity })
      t.teardown(() => changeAdmission({ capacity: 1_000_000, paused: false }))
      const redis = connectRedis({ url: system.redisUrl, clusterNodes: system.redisClusterNodes }, {})
      t.teardown(() => redis.quit())
      const keys = queueKeys(system.redisPrefix)
      const lineSize = async () =>
        (await redis.zcard(keys.waiting)) + (await redis.zcard(keys.drawn)) + (await redis.zcard(keys.preQueue))

      const joins = await concurrently(400, (i) => api.post('/queue/tokens', { userId: 30_000 + i }))
      t.same(tally(joins.map((r) => r.status)), { 200: 40, 503: 360 }, 'the 40 free places are taken, no more')
      const refused = joins.filter((r) => r.status === 503)
      t.ok(
        refused.every((r) => r.body.code === 'QUEUE_FULL' && Number(r.headers['retry-after']) >= 1),
        'each refusal is QUEUE_FULL with Retry-After, through the gateway',
      )
      t.equal(await lineSize(), capacity, 'Redis holds exactly capacity users in line')
      const sequence = await redis.get(keys.sequence)
      const again = await concurrently(400, (i) => api.post('/queue/tokens', { userId: 40_000 + i }))
      t.same(tally(again.map((r) => r.status)), { 503: 400 })
      t.equal(await lineSize(), capacity, 'a second flood adds nobody')
      t.equal(await redis.get(keys.sequence), sequence, 'and spends no place number')

      const inLine = joins.find((r) => r.status === 200)
      const rejoin = await api.post('/queue/tokens', { userId: inLine?.body.data.userId })
      t.equal(rejoin.status, 200, 'a user in line joining again keeps the place')
      t.equal(rejoin.body.data.token, inLine?.body.data.token)
      const stats = await admin.get('/admin/queue', { headers: adminHeaders })
      t.match(stats.body.data, { capacity, full: true })
    },
  )

  await t.test('status by user and by token', async (t) => {
    const missing = await api.get('/queue/tokens/status/777777')
    t.equal(missing.status, 404)
    t.match(missing.body, { statusCode: 404, code: 'TOKEN_NOT_FOUND', error: 'Not Found' })
    t.equal((await api.get('/queue/tokens/status')).body.code, 'TOKEN_MISSING')
    t.equal((await api.get('/queue/tokens/status', { token: 'q1.nope' })).body.code, 'TOKEN_INVALID')

    await changeAdmission({ paused: true })
    const waiting = (await api.post('/queue/tokens', { userId: 6001 })).body.data
    t.match(waiting, { userId: 6001, status: 'WAITING', token: String, queueOrder: Number, remainingTime: Number })
    const byUser = (await api.get('/queue/tokens/status/6001')).body.data
    const byToken = (await statusByToken(waiting.token)).body.data
    t.same(byUser, byToken, 'the same answer either way')
    t.equal(byUser.estimatedWaitSeconds, byUser.remainingTime)
    // The server says when to poll again: a tenth of the wait, at least 1 s, at most a quarter of the
    // abandonment delay (120 s by default), so the place is never lost by following it.
    t.equal(waiting.pollAfterSeconds, Math.min(Math.max(Math.ceil(waiting.estimatedWaitSeconds / 10), 1), 30))
    t.equal(byUser.pollAfterSeconds, Math.min(Math.max(Math.ceil(byUser.estimatedWaitSeconds / 10), 1), 30))
    await changeAdmission({ paused: false })
    const token = await admittedToken(api, 6001)
    t.equal(token, waiting.token, 'admission keeps the token')
    const active = (await statusByToken(token)).body.data
    t.match(active, { status: 'ACTIVE', queueOrder: 0, expiresAt: String })
    t.notOk('pollAfterSeconds' in active, 'an ACTIVE ticket has nothing to poll for')
    t.ok(active.remainingTime <= ACTIVE_TTL_SECONDS && active.remainingTime >= ACTIVE_TTL_SECONDS - 1)
  })

  await t.test('proof of work: a solved challenge joins once; a replayed or stale proof is refused', async (t) => {
    const difficulty = 10
    await changeAdmission({ powDifficulty: difficulty, paused: true })
    t.teardown(() => changeAdmission({ powDifficulty: 0, paused: false }))
    const issued = (await api.get('/queue/challenge')).body.data
    t.match(issued, { challenge: String, difficulty, expiresAt: String }, 'GET /queue/challenge')
    const proof = { challenge: issued.challenge, nonce: solveChallenge(issued.challenge, difficulty) }
    const joined = await api.post('/queue/tokens', { userId: 12001, proof })
    t.match(joined.body.data, { userId: 12001, status: 'WAITING', token: String }, 'the solved challenge joins')

    const replayed = await api.post('/queue/tokens', { userId: 12002, proof })
    t.match(replayed.body, { statusCode: 409, code: 'PROOF_REPLAYED' }, 'the same proof again is refused')
    // A challenge the queue signed ten minutes ago with a two-minute life.
    const stale = createChallengeSigner(parseQueueTokenKeys(TOKEN_KEYS)).issue({
      difficulty,
      now: Date.now() - 600_000,
      ttlMs: 120_000,
    })
    const expired = await api.post('/queue/tokens', {
      userId: 12003,
      proof: { challenge: stale.challenge, nonce: solveChallenge(stale.challenge, difficulty) },
    })
    t.match(expired.body, { statusCode: 410, code: 'PROOF_EXPIRED' }, 'a stale proof is refused')
    const missing = await api.post('/queue/tokens', { userId: 12004 })
    t.match(missing.body, { statusCode: 428, code: 'PROOF_REQUIRED' }, 'no proof while one is required')
    for (const userId of [12002, 12003, 12004]) {
      t.equal((await api.get(`/queue/tokens/status/${userId}`)).status, 404, `user ${userId} got no place`)
    }
  })

  await t.test('pre-queue: status shows the opening; the opening puts the user in line', async (t) => {
    const opensAt = new Date(Date.now() + 3_600_000).toISOString()
    await changeAdmission({ opensAt, paused: true })
    t.teardown(() => changeAdmission({ paused: false }))
    const joined = (await api.post('/queue/tokens', { userId: 13001 })).body.data
    t.match(joined, { status: 'WAITING', queueOrder: 0, preQueue: true, opensAt }, 'joins the pre-queue')
    const byUser = (await api.get('/queue/tokens/status/13001')).body.data
    t.match(byUser, { status: 'WAITING', queueOrder: 0, preQueue: true, opensAt, token: joined.token })
    t.ok(byUser.remainingTime > 3500 && byUser.remainingTime <= 3600, 'remainingTime: seconds until the opening')
    t.same((await statusByToken(joined.token)).body.data, byUser, 'the same by token')
    const guardedPrefix = guarded[0] ?? '/concerts'
    t.match((await api.get(guardedPrefix, { token: joined.token })).body, { code: 'TOKEN_NOT_ACTIVE' })

    const opened = await changeAdmission({ opensAt: new Date(Date.now() - 1000).toISOString() })
    t.match(opened, { opensAt: null, preQueue: 0, lastDraw: { users: 1 } }, 'opening now draws at once')
    const inLine = (await statusByToken(joined.token)).body.data
    t.match(inLine, { status: 'WAITING', queueOrder: 0, token: joined.token }, 'drawn into line, same token')
    t.notOk('preQueue' in inLine, 'no longer in the pre-queue')
  })

  await t.test('protected routes: no token 401, WAITING 403, ACTIVE passes, expired 401', async (t) => {
    t.ok(guarded.length > 0, `guarded prefixes: ${guarded.join(', ')}`)
    const token = await admittedToken(api, 7001)
    // First, while the token is surely within its short ACTIVE time.
    for (const prefix of guarded) {
      const passed = await api.get(prefix, { token })
      t.notOk([401, 403].includes(passed.status), `${prefix} with an ACTIVE token passes the guard (${passed.status})`)
    }
    await changeAdmission({ paused: true })
    const waitingToken = (await api.post('/queue/tokens', { userId: 7002 })).body.data.token
    for (const prefix of guarded) {
      const none = await api.get(prefix)
      t.match(none.body, { statusCode: 401, code: 'TOKEN_MISSING' }, `${prefix} without a token`)
      const forged = await api.get(prefix, { token: `${token.slice(0, -2)}xx` })
      t.match(forged.body, { statusCode: 401, code: 'TOKEN_INVALID' }, `${prefix} with an altered token`)
      const early = await api.get(prefix, { token: waitingToken })
      t.match(early.body, { statusCode: 403, code: 'TOKEN_NOT_ACTIVE' }, `${prefix} while WAITING`)
    }
    await changeAdmission({ paused: false })
    const expiresAt = Date.parse((await statusByToken(token)).body.data.expiresAt)
    const refusedBy = await waitFor(
      async () => {
        const res = await api.get(guarded[0] ?? '/concerts', { token })
        return [401, 403].includes(res.status) ? Date.now() : undefined
      },
      4 * ACTIVE_TTL_SECONDS * 1000,
    )
    t.ok(refusedBy >= expiresAt, 'not refused before expiresAt')
    for (const prefix of guarded) {
      t.match((await api.get(prefix, { token })).body, { code: 'TOKEN_EXPIRED' }, `${prefix} once expired`)
    }
    t.equal((await statusByToken(token)).body.code, 'TOKEN_EXPIRED')
  })

  await t.test('payment.completed takes the user out of the store', async (t) => {
    const token = await admittedToken(api, 8001)
    const prefix = guarded[0] ?? '/concerts'
    await publisher.publish(
      'payment.completed',
      {
        paymentId: 1,
        reservationId: 1,
        userId: 8001,
        seatId: 1,
        concertOptionId: 1,
        amount: 1,
        paidAt: new Date().toISOString(),
      },
      `e2e-${system.mode}-8001`,
    )
    const refused = await waitFor(async () => {
      const res = await api.get(prefix, { token })
      return res.status === 401 ? res : undefined
    })
    t.equal(refused.body.code, 'TOKEN_REVOKED')
    t.equal((await api.get('/queue/tokens/status/8001')).status, 404)
  })

  const outage = { skip: clustered ? 'a cluster fails over instead: see the failover bench' : false }
  await t.test('Redis down: queue routes and the guard answer 503, then recover', outage, async (t) => {
    const token = await admittedToken(api, 9001)
    const prefix = guarded[0] ?? '/concerts'
    await proxy.disable()
    t.teardown(() => proxy.enable())
    for (const [label, call] of [
      ['POST /queue/tokens', () => api.post('/queue/tokens', { userId: 9002 }, bounded)],
      ['GET /queue/tokens/status/9001', () => api.get('/queue/tokens/status/9001', bounded)],
      [`GET ${prefix} (guard)`, () => api.get(prefix, { token, ...bounded })],
    ] as const) {
      const res = await call()
      t.equal(res.status, 503, label)
      t.match(res.body, { statusCode: 503, code: 'QUEUE_UNAVAILABLE', error: 'Service Unavailable' }, label)
    }
    await proxy.enable()
    // The gateway's guard and the queue context each reconnect on their own schedule. The guard is back
    // once it can read a token's state again: the token above may have run out its short ACTIVE time
    // by then (a 401 says so, and says Redis answered), so a token admitted after the outage proves it.
    await waitFor(async () => {
      const res = await api.get(prefix, { token })
      return res.status !== 503 ? res : undefined
    })
    const joined = await waitFor(async () => {
      const res = await api.post('/queue/tokens', { userId: 9002 })
      return res.status !== 503 ? res : undefined
    })
    t.equal(joined.status, 200, 'the queue routes are back')
    const fresh = await admittedToken(api, 9003)
    const back = await api.get(prefix, { token: fresh })
    t.notOk([401, 403, 503].includes(back.status), 'the guard lets an ACTIVE token through again')
  })
}
