import { createServer, loadConfig, QUEUE_USER_HEADER, signUserToken } from '@stagepass/kit'
import { pointApp, pointConfigSchema } from '@stagepass/point'
import { queueApp, queueConfigSchema } from '@stagepass/queue'
import {
  type ApiClient,
  type ApiResponse,
  admittedToken,
  concurrently,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  freePort,
  serveOnFreePort,
  sleep,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
} from '@stagepass/testkit'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'
import { createWindowCounter } from '../src/rate-limit/window-counter.js'

/**
 * Abuse limits at the gateway, with real Redis, MySQL and HTTP. Every scene has a Redis prefix of
 * its own, so its counters start at zero; all requests come from 127.0.0.1.
 */

type Mode = 'split' | 'monolith'

const KEYS = 'k1:rate-limit-test-secret-0123456789'
const PROBE = '/concerts/limit-probe'
const userTokens = loadGatewayConfig({})

interface Scene {
  /** One client per gateway instance; every instance shares the scene's Redis and upstreams. */
  gateways: ApiClient[]
  /** The operations port of each (its metrics). */
  operations: ApiClient[]
  redisProxy: TcpProxy
}

/** The contexts a split gateway proxies to, in this process; concert and booking are not needed. */
async function startUpstreams(t: Test, env: Record<string, string>, database: TestDatabase) {
  const queue = createServer({ service: 'queue', config: { LOG_LEVEL: 'error', LOG_PRETTY: 'false' } })
  await queue.register(queueApp, { config: loadConfig(queueConfigSchema, env), adminRoutes: false })
  const point = createServer({ service: 'point', config: { LOG_LEVEL: 'error', LOG_PRETTY: 'false' } })
  const pointSettings = loadConfig(pointConfigSchema, env)
  await point.register(pointApp, { mysql: database.config, settings: pointSettings, internalRoutes: false })
  const [queueUp, pointUp] = [await serveOnFreePort(t, queue), await serveOnFreePort(t, point)]
  const closed = `http://127.0.0.1:${await freePort()}`
  return {
    QUEUE_URLS: `http://127.0.0.1:${queueUp.port}`,
    POINT_URLS: `http://127.0.0.1:${pointUp.port}`,
    CONCERT_URLS: closed,
    BOOKING_URLS: closed,
  }
}

/**
 * `instances` gateways in `mode` with `env`, sharing one Redis prefix (reached through a TCP proxy
 * that a test can cut) and one database. Each has a test-only route under the guarded `/concerts`
 * that answers with the queue user the guard named: catalog limits without a concert context.
 */
async function buildScene(t: Test, mode: Mode, database: TestDatabase, env: Record<string, string>, instances = 1) {
  const { url, prefix } = createTestRedisPrefix(t)
  const target = new URL(url)
  const redisProxy = await startTcpProxy(t, target.hostname, Number(target.port || 6379))
  const shared: Record<string, string> = {
    REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    REDIS_PREFIX: prefix,
    QUEUE_TOKEN_KEYS: KEYS,
    QUEUE_TICK_MS: '50',
    LOG_LEVEL: 'error',
    LOG_PRETTY: 'false',
    MYSQL_HOST: database.config.MYSQL_HOST,
    MYSQL_PORT: String(database.config.MYSQL_PORT),
    MYSQL_USER: database.config.MYSQL_USER,
    MYSQL_PASSWORD: database.config.MYSQL_PASSWORD,
    MYSQL_DATABASE: database.config.MYSQL_DATABASE,
  }
  const upstreams = mode === 'split' ? await startUpstreams(t, { ...shared, REDIS_URL: url }, database) : {}
  const gateways: ApiClient[] = []
  const operations: ApiClient[] = []
  for (let i = 0; i < instances; i++) {
    const app = await buildGateway(loadGatewayConfig({ ...shared, ...upstreams, MODE: mode, ...env }))
    app.get(PROBE, async (request) => ({ data: { user: request.headers[QUEUE_USER_HEADER] ?? null } }))
    const { api, ops } = await serveOnFreePort(t, app)
    gateways.push(api)
    operations.push(ops)
  }
  return { gateways, operations, redisProxy } satisfies Scene
}

/** The user's ACTIVE queue token, got as the signed-in user (user tokens are on in these scenes). */
async function activeToken(api: ApiClient, userId: number): Promise<string> {
  return admittedToken(api, userId, { userToken: await signUserToken(userTokens, userId) })
}

function assertRefused(t: Test, res: ApiResponse, limit: number, label: string) {
  t.equal(res.status, 429, `${label}: 429`)
  t.match(res.body, { statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests', message: String }, label)
  t.equal(res.headers['ratelimit-limit'], String(limit), `${label}: RateLimit-Limit`)
  t.equal(res.headers['ratelimit-remaining'], '0', `${label}: RateLimit-Remaining`)
  const retryAfter = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `${label}: Retry-After ${res.headers['retry-after']}`)
  t.equal(res.headers['ratelimit-reset'], res.headers['retry-after'], `${label}: RateLimit-Reset = Retry-After`)
}

async function limitedCount(ops: ApiClient, group: string, key: string): Promise<number> {
  const text = String((await ops.get('/metrics')).body)
  const line = text.split('\n').find((l) => l.startsWith(`gateway_rate_limited_total{group="${group}",key="${key}"}`))
  return Number(line?.split(' ').pop() ?? 0)
}

async function limitSuite(t: Test, mode: Mode) {
  const database = await createTestDatabase(t)

  await t.test('two gateway instances share one budget per address; health and metrics stay open', async (t) => {
    const { gateways, operations } = await buildScene(
      t,
      mode,
      database,
      { RATE_LIMITS: 'on', RATE_LIMIT_STATUS: 'ip:5/1m' },
      2,
    )
    const [a, b] = gateways as [ApiClient, ApiClient]
    const opsA = operations[0] as ApiClient
    const before = await limitedCount(opsA, 'status', 'ip')
    const allowed: ApiResponse[] = []
    for (let i = 0; i < 5; i++) allowed.push(await (i % 2 ? b : a).get('/queue/tokens/status/7001'))
    t.same(
      allowed.map((res) => res.status),
      [404, 404, 404, 404, 404],
      'five polls reach the queue (no place yet: 404)',
    )
    t.same(
      allowed.map((res) => res.headers['ratelimit-remaining']),
      ['4', '3', '2', '1', '0'],
      'each poll is counted once, on whichever instance',
    )
    t.ok(
      allowed.every((res) => res.headers['ratelimit-limit'] === '5' && Number(res.headers['ratelimit-reset']) <= 60),
      'allowed answers carry the limit and the reset',
    )
    assertRefused(t, await b.get('/queue/tokens/status/7001'), 5, 'the sixth poll, on the other instance')
    assertRefused(t, await a.get('/queue/tokens/status/7002'), 5, 'another user from the same address')
    t.equal(await limitedCount(opsA, 'status', 'ip'), before + 2, 'refusals are counted by group and key kind')

    const join = await a.post('/queue/tokens', { userId: 7001 })
    t.equal(join.status, 200, 'joining has a budget of its own')
    for (const path of ['/health/live', '/metrics', '/no-such-route']) {
      const res = await a.get(path)
      t.not(res.status, 429, `${path} is not limited`)
      t.equal(res.headers['ratelimit-limit'], undefined, `${path} carries no limit headers`)
    }
  })

  await t.test('a user over its limit is refused while another user from the same address is not', async (t) => {
    const { gateways } = await buildScene(t, mode, database, {
      USER_AUTH: 'jwt',
      RATE_LIMIT_JOIN: 'off',
      RATE_LIMIT_CATALOG: 'ip:1000/1m,user:3/1m',
    })
    const api = gateways[0] as ApiClient
    const first = await activeToken(api, 7101)
    const second = await activeToken(api, 7102)
    for (let i = 0; i < 3; i++) {
      const res = await api.get(PROBE, { token: first })
      t.same(res.body, { data: { user: '7101' } }, `browse ${i + 1} passes`)
      t.equal(res.headers['ratelimit-remaining'], String(2 - i), 'the user budget is the one shown')
    }
    assertRefused(t, await api.get(PROBE, { token: first }), 3, 'the fourth request of the same user')
    const other = await api.get(PROBE, { token: second })
    t.same(other.body, { data: { user: '7102' } }, 'another user from the same address still browses')
    t.equal(other.headers['ratelimit-remaining'], '2')
    const asOther = await api.get(PROBE, { token: first, headers: { [QUEUE_USER_HEADER]: '7102' } })
    t.equal(asOther.status, 429, 'claiming another user in a header changes nothing')
  })

  await t.test('with user tokens, one user hammering join and status is refused, not its neighbours', async (t) => {
    const { gateways } = await buildScene(t, mode, database, {
      USER_AUTH: 'jwt',
      RATE_LIMIT_JOIN: 'ip:1000/1m,user:2/1m',
      RATE_LIMIT_STATUS: 'ip:1000/1m,user:2/1m',
    })
    const api = gateways[0] as ApiClient
    const [script, neighbour] = [await signUserToken(userTokens, 7151), await signUserToken(userTokens, 7152)]
    const join = (token: string, userId: number) => api.post('/queue/tokens', { userId }, { token })
    t.equal((await join(script, 7151)).status, 200)
    t.equal((await join(script, 7151)).status, 200)
    assertRefused(t, await join(script, 7151), 2, 'the third join of one user')
    const forged = await join(script, 7152)
    t.equal(
      forged.status,
      429,
      "naming the neighbour in the body spends the signed-in user's budget, not the neighbour's",
    )
    t.equal((await join(neighbour, 7152)).status, 200, 'the neighbour from the same address joins')
    t.equal((await join(neighbour, 7152)).headers['ratelimit-remaining'], '0', 'on a budget of its own')

    const poll = (token: string, userId: number) => api.get(`/queue/tokens/status/${userId}`, { token })
    t.equal((await poll(script, 7151)).status, 200)
    t.equal((await poll(script, 7151)).status, 200)
    assertRefused(t, await poll(script, 7151), 2, 'the third poll of one user')
    t.equal((await poll(neighbour, 7152)).status, 200, 'the neighbour still polls')
    const unsigned = await api.get('/queue/tokens/status/7152')
    t.equal(unsigned.status, 401, 'without a user token the user-token check refuses before anything is counted')
    t.equal(unsigned.headers['ratelimit-limit'], undefined)
  })

  await t.test('a refused request writes nothing; garbage bodies count before they are parsed', async (t) => {
    const { gateways } = await buildScene(t, mode, database, { RATE_LIMITS: 'on', RATE_LIMIT_POINTS: 'ip:3/1m' })
    const api = gateways[0] as ApiClient
    const userId = mode === 'split' ? 7201 : 7202
    const garbage = await api.call('PUT', '/points/charge', {
      rawBody: '{"userId": ',
      headers: { 'content-type': 'application/json' },
    })
    t.equal(garbage.status, 400, 'a malformed body is refused')
    t.equal(garbage.headers['ratelimit-remaining'], '2', 'and counted')
    t.equal((await api.put('/points/charge', { userId, amount: 1000 })).status, 200)
    t.equal((await api.put('/points/charge', { userId, amount: 1000 })).status, 200)
    assertRefused(t, await api.put('/points/charge', { userId, amount: 1000 }), 3, 'the fourth charge')
    const wallet = await database.db
      .selectFrom('point_wallet')
      .select('balance')
      .where('user_id', '=', userId)
      .executeTakeFirst()
    t.equal(wallet?.balance, 2000, 'only the two allowed charges reached the ledger')
    const history = await database.db
      .selectFrom('point_history')
      .select((eb) => eb.fn.countAll<number>().as('rows'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
    t.equal(Number(history.rows), 2, 'and its history')
  })

  await t.test('limits are off unless switched on or user tokens are on (the original contract)', async (t) => {
    const { gateways } = await buildScene(t, mode, database, { RATE_LIMIT_STATUS: 'ip:1/1m' })
    const api = gateways[0] as ApiClient
    for (let i = 0; i < 3; i++) {
      const res = await api.get('/queue/tokens/status/7301')
      t.equal(res.status, 404)
      t.equal(res.headers['ratelimit-limit'], undefined, 'no limit headers')
    }
  })
}

t.test('split mode', (t) => limitSuite(t, 'split'))
t.test('monolith mode', (t) => limitSuite(t, 'monolith'))

t.test('X-Forwarded-For names the client only when a trusted proxy sent it', async (t) => {
  const database = await createTestDatabase(t)
  const limits = { RATE_LIMITS: 'on', RATE_LIMIT_STATUS: 'ip:2/1m' }

  await t.test('from an untrusted peer it is ignored: rotating it does not buy a new budget', async (t) => {
    const api = (await buildScene(t, 'split', database, limits)).gateways[0] as ApiClient
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await api.get('/queue/tokens/status/7401', { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } })
      statuses.push(res.status)
    }
    t.same(statuses, [404, 404, 429, 429])
  })

  await t.test('from a trusted proxy it is honoured: each client has its own budget', async (t) => {
    const env = { ...limits, TRUSTED_PROXIES: '10.0.0.0/8,127.0.0.1' }
    const api = (await buildScene(t, 'split', database, env)).gateways[0] as ApiClient
    const poll = (forwardedFor: string) =>
      api.get('/queue/tokens/status/7402', { headers: { 'x-forwarded-for': forwardedFor } })
    t.equal((await poll('203.0.113.1')).status, 404)
    t.equal((await poll('203.0.113.1')).status, 404)
    assertRefused(t, await poll('203.0.113.1'), 2, 'the first client, over its budget')
    // A client may prepend anything; the address the trusted proxy saw is the one counted.
    assertRefused(t, await poll('192.0.2.9, 203.0.113.1'), 2, 'the same client with a made-up hop')
    t.equal((await poll('203.0.113.2')).status, 404, 'a second client behind the proxy is not affected')
    t.equal((await poll('203.0.113.2')).status, 404)
    // An IPv6 client picks any address in its /64: the /64 is the client.
    t.equal((await poll('2001:db8:1:2::a')).status, 404)
    t.equal((await poll('2001:db8:1:2::b')).status, 404)
    t.equal((await poll('2001:db8:1:2:ffff::1')).status, 429, 'another address of the same /64 shares its budget')
    t.equal((await poll('2001:db8:1:3::a')).status, 404, 'the next /64 is another client')
  })
})

t.test('a burst of concurrent requests on two gateways is counted exactly: N pass, the rest are refused', async (t) => {
  const database = await createTestDatabase(t)
  const env = { RATE_LIMITS: 'on', RATE_LIMIT_STATUS: 'ip:25/1m' }
  const [a, b] = (await buildScene(t, 'split', database, env, 2)).gateways as [ApiClient, ApiClient]
  const burst = await concurrently(100, (i) => (i % 2 ? a : b).get('/queue/tokens/status/7701'))
  const passed = burst.filter((res) => res.status !== 429)
  t.equal(passed.length, 25, 'exactly the limit passes')
  t.same(
    passed.map((res) => Number(res.headers['ratelimit-remaining'])).sort((x, y) => x - y),
    Array.from({ length: 25 }, (_, i) => i),
    'each passing request was counted once, in some order',
  )
  t.ok(
    burst.filter((res) => res.status === 429).every((res) => res.body.code === 'RATE_LIMITED'),
    'the other 75 are refused',
  )
})

t.test('hits counted together in one batch get the counts they would have had one by one', async (t) => {
  const { url, prefix } = createTestRedisPrefix(t)
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const countHits = createWindowCounter(redis)
  const slot = `${prefix}{rate-limit:test}:`
  const [ip, alice, bob] = [`${slot}ip:a`, `${slot}user:alice`, `${slot}user:bob`]
  // Issued in the same turn of the event loop: one script call counts them all.
  const counted = await Promise.all([
    countHits(slot, [ip, alice], [60_000, 60_000]),
    countHits(slot, [ip, bob], [60_000, 60_000]),
    countHits(slot, [ip, alice], [60_000, 60_000]),
  ])
  t.same(
    counted.map((counts) => counts.map((c) => c.count)),
    [
      [1, 1],
      [2, 1],
      [3, 2],
    ],
  )
  t.ok(
    counted.flat().every((c) => c.resetMs > 0 && c.resetMs <= 60_000),
    'every count knows when its window ends',
  )
  t.equal(await redis.get(ip), '3', 'Redis holds the sum')
})

t.test('a spent budget comes back when its window ends', async (t) => {
  const database = await createTestDatabase(t)
  const { gateways } = await buildScene(t, 'split', database, { RATE_LIMITS: 'on', RATE_LIMIT_JOIN: 'ip:2/2s' })
  const api = gateways[0] as ApiClient
  t.equal((await api.post('/queue/tokens', { userId: 7501 })).status, 200)
  t.equal((await api.post('/queue/tokens', { userId: 7501 })).status, 200)
  const refused = await api.post('/queue/tokens', { userId: 7501 })
  assertRefused(t, refused, 2, 'the third join in the window')
  await sleep(Number(refused.headers['retry-after']) * 1000)
  const again = await api.post('/queue/tokens', { userId: 7501 })
  t.equal(again.status, 200, 'after Retry-After the client is served again')
  t.equal(again.headers['ratelimit-remaining'], '1', 'with a fresh budget')
})

t.test('Redis down: limited routes pass unchecked rather than fail; limits return with Redis', async (t) => {
  const database = await createTestDatabase(t)
  const { gateways, operations, redisProxy } = await buildScene(t, 'split', database, {
    RATE_LIMITS: 'on',
    RATE_LIMIT_POINTS: 'ip:1/1m',
  })
  const api = gateways[0] as ApiClient
  t.equal((await api.get('/points/current/7601')).status, 200)
  t.equal((await api.get('/points/current/7601')).status, 429)
  await redisProxy.disable()
  t.teardown(() => redisProxy.enable())
  const during = await api.get('/points/current/7601')
  t.equal(during.status, 200, 'points (MySQL only) keep working through a Redis outage')
  t.equal(during.headers['ratelimit-limit'], undefined, 'unchecked: no limit headers')
  const metrics = String((await (operations[0] as ApiClient).get('/metrics')).body)
  t.match(metrics, /^gateway_rate_limit_unchecked_total [1-9]/m, 'unchecked requests are counted')
  await redisProxy.enable()
  const back = await eventually(async () => (await api.get('/points/current/7601')).status === 429)
  t.ok(back, 'the limit holds again once Redis is back')
})
