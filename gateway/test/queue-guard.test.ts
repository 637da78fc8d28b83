import { createHmac } from 'node:crypto'
import { EventPublisher } from '@stagepass/events'
import { createQueueTokenSigner, createServer, loadConfig, QUEUE_USER_HEADER } from '@stagepass/kit'
import { createQueueStore, queueApp, queueConfigSchema } from '@stagepass/queue'
import {
  type ApiClient,
  admittedToken,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  firstRefusal,
  freePort,
  serveOnFreePort,
  startTcpProxy,
  type TcpProxy,
} from '@stagepass/testkit'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'
import { ROUTE_TABLE } from '../src/route-table.js'

/**
 * The guard in front of protected prefixes, in both modes. A test-only route under a guarded prefix
 * answers with the user the guard named, so the header can be checked without any other context.
 */

const KEYS = 'k1:first-signing-secret-0123456789'
const ROTATED = `k2:second-signing-secret-0123456789,${KEYS}`
// Long enough that a test on a busy machine finishes with its token alive; the expiry test waits it out.
const ttlSeconds = 10

const guardedPrefix = ROUTE_TABLE.find((route) => route.guarded)?.prefix ?? '/concerts'
const PROBE = `${guardedPrefix}/guard-probe`

/** Every request of the outage test gives up after this long, so a hang fails the test instead of stalling it. */
const bounded = { timeoutMs: 15_000 }

interface Scene {
  api: ApiClient
  /** The gateway's operations port. */
  ops: ApiClient
  proxy: TcpProxy
  store: ReturnType<typeof createQueueStore>
  publisher: EventPublisher
  redisUrl: string
  redisPrefix: string
}

/** The environment of a gateway whose Redis traffic goes through `proxy`. */
function gatewayEnv(scene: { proxy: TcpProxy; redisPrefix: string }, extra: Record<string, string> = {}) {
  return {
    REDIS_URL: `redis://127.0.0.1:${scene.proxy.port}`,
    REDIS_PREFIX: scene.redisPrefix,
    QUEUE_TOKEN_KEYS: KEYS,
    QUEUE_ACTIVE_TTL_SECONDS: String(ttlSeconds),
    QUEUE_TICK_MS: '50',
    LOG_LEVEL: 'error',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  }
}

async function listenWithProbe(t: Test, env: Record<string, string | number>) {
  const app = await buildGateway(loadGatewayConfig(env as NodeJS.ProcessEnv))
  app.get(PROBE, async (request) => ({ data: { user: request.headers[QUEUE_USER_HEADER] ?? null } }))
  return serveOnFreePort(t, app)
}

/** A queue service process stand-in for split mode, reaching Redis through the same proxy. */
async function startQueueUpstream(t: Test, env: Record<string, string>) {
  const config = loadConfig(queueConfigSchema, env)
  const app = createServer({ service: 'queue', config })
  await app.register(queueApp, { config, adminRoutes: true })
  const { port, opsPort } = await serveOnFreePort(t, app)
  return { QUEUE_URLS: `http://127.0.0.1:${port}`, QUEUE_OPS_URLS: `http://127.0.0.1:${opsPort}` }
}

/** A gateway in `mode` with its queue, both with `settings` on top of the usual environment. */
async function buildScene(t: Test, mode: 'split' | 'monolith', settings: Record<string, string> = {}): Promise<Scene> {
  const { url, prefix } = createTestRedisPrefix(t)
  const target = new URL(url)
  const proxy = await startTcpProxy(t, target.hostname, Number(target.port || 6379))
  const scene = { proxy, redisPrefix: prefix }
  const closed = `http://127.0.0.1:${await freePort()}`
  let env: Record<string, string>
  if (mode === 'split') {
    const queue = await startQueueUpstream(t, gatewayEnv(scene, settings))
    env = gatewayEnv(scene, { ...settings, MODE: 'split', ...queue, POINT_URLS: closed, CONCERT_URLS: closed })
  } else {
    const { config } = await createTestDatabase(t)
    env = gatewayEnv(scene, {
      ...settings,
      MODE: 'monolith',
      MYSQL_HOST: config.MYSQL_HOST,
      MYSQL_PORT: String(config.MYSQL_PORT),
      MYSQL_USER: config.MYSQL_USER,
      MYSQL_PASSWORD: config.MYSQL_PASSWORD,
      MYSQL_DATABASE: config.MYSQL_DATABASE,
    })
  }
  const { api, ops } = await listenWithProbe(t, env)
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const store = createQueueStore(redis, prefix, {
    admitPerSecond: 100,
    maxActive: 1000,
    activeTtlSeconds: ttlSeconds,
    abandonAfterSeconds: 120,
    lineCapacity: 1_000_000,
  })
  const publisher = new EventPublisher({ redisUrl: url, redisPrefix: prefix })
  t.teardown(() => publisher.close())
  return { api, ops, proxy, store, publisher, redisUrl: url, redisPrefix: prefix }
}

/** Asks with `token` until the guard stops letting it through; the refusal. */
async function refusalOf(api: ApiClient, token: string, timeoutMs?: number) {
  const refusal = await firstRefusal(() => api.get(PROBE, { token, ...bounded }), timeoutMs)
  if (!refusal) throw new Error('the token was never refused')
  return refusal
}

/** The user's last payment, as booking announces it (no other live holds: the token is revoked). */
function publishPayment(scene: Scene, userId: number, eventId: string) {
  const payment = { paymentId: userId, reservationId: userId, userId, seatId: 1, concertOptionId: 1, amount: 1 }
  return scene.publisher.publish('payment.completed', { ...payment, paidAt: new Date().toISOString() }, eventId)
}

function tamper(token: string, part: number, value: string) {
  const parts = token.split('.')
  parts[part] = value
  return parts.join('.')
}

async function guardSuite(t: Test, mode: 'split' | 'monolith') {
  const scene = await buildScene(t, mode)
  const { api, ops, store } = scene
  const expectRejection = async (t: Test, token: string | undefined, status: number, code: string, label: string) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: token }
    const res = await api.get(PROBE, { headers })
    t.equal(res.status, status, `${label}: ${status}`)
    t.match(res.body, { statusCode: status, code, error: String, message: String }, `${label}: ${code}`)
  }

  await t.test('an ACTIVE token passes and names its user upstream, whatever the client claims', async (t) => {
    const token = await admittedToken(api, 11)
    const res = await api.get(PROBE, { token, headers: { [QUEUE_USER_HEADER]: '999' } })
    t.equal(res.status, 200)
    t.same(res.body, { data: { user: '11' } })
    const other = await admittedToken(api, 12)
    const asOther = await api.get(PROBE, { token: other, headers: { [QUEUE_USER_HEADER]: '11' } })
    t.same(asOther.body, { data: { user: '12' } }, "another user's token acts as that user, never as the claimed one")
    const unguarded = await api.get('/queue/tokens/status/11', { headers: { [QUEUE_USER_HEADER]: '12' } })
    t.equal(unguarded.status, 200, 'unprotected prefixes need no token')
  })

  await t.test('every malformed, forged or dead token is refused with the documented code', async (t) => {
    const token = await admittedToken(api, 21)
    const victim = await admittedToken(api, 22)
    const foreign = createQueueTokenSigner([{ kid: 'k1', secret: 'someone-elses-secret-0123456789' }]).sign(21, 1)
    const unknownKid = createQueueTokenSigner([{ kid: 'k9', secret: 'k9-signing-secret-0123456789' }]).sign(21, 1)
    const [version, kid, , tokenId, signature = ''] = token.split('.')
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`
    const selfSigned = `${version}.${kid}.21.${tokenId}`
    const sha = createHmac('sha256', 'guess').update(selfSigned).digest('base64url')

    await expectRejection(t, undefined, 401, 'TOKEN_MISSING', 'no Authorization header')
    await expectRejection(t, `Basic ${token}`, 401, 'TOKEN_MISSING', 'another scheme')
    await expectRejection(t, token, 401, 'TOKEN_MISSING', 'a token without "Bearer"')
    await expectRejection(t, 'Bearer ', 401, 'TOKEN_MISSING', 'an empty bearer token')
    await expectRejection(t, 'Bearer garbage', 401, 'TOKEN_INVALID', 'garbage')
    await expectRejection(t, `Bearer ${'x'.repeat(5000)}`, 401, 'TOKEN_INVALID', 'a huge token')
    await expectRejection(
      t,
      `Bearer ${tamper(token, 2, '22')}`,
      401,
      'TOKEN_INVALID',
      'payload changed to another user',
    )
    await expectRejection(t, `Bearer ${tamper(token, 3, '999')}`, 401, 'TOKEN_INVALID', 'payload changed to another id')
    await expectRejection(t, `Bearer ${tamper(token, 4, flipped)}`, 401, 'TOKEN_INVALID', 'altered signature')
    await expectRejection(t, `Bearer ${tamper(victim, 4, signature)}`, 401, 'TOKEN_INVALID', "another user's signature")
    await expectRejection(t, `Bearer ${selfSigned}.${sha}`, 401, 'TOKEN_INVALID', 'signed with a guessed secret')
    await expectRejection(t, `Bearer ${foreign}`, 401, 'TOKEN_INVALID', 'same key id, different secret')
    await expectRejection(t, `Bearer ${unknownKid}`, 401, 'TOKEN_INVALID', 'a key id nobody lists')
    const valid = await api.get(PROBE, { token })
    t.equal(valid.status, 200, 'the untouched token still passes')
  })

  await t.test('an unknown path under a protected prefix is guarded like a known one', async (t) => {
    const token = await admittedToken(api, 25)
    for (const path of [`${guardedPrefix}/no-such-route`, `${guardedPrefix}`, '/%63oncerts/guard-probe']) {
      const res = await api.get(path)
      t.equal(res.status, 401, `${path} without a token`)
      t.equal(res.body.code, 'TOKEN_MISSING')
    }
    const known = await api.get('/%63oncerts/guard-probe', { token })
    t.same(known.body, { data: { user: '25' } }, 'an encoded path reaches the route, behind the guard')
    const unknown = await api.get(`${guardedPrefix}/no-such-route/x`, { token })
    // Past the guard, the path is the context's to answer: a 404 in monolith; in split this scene runs
    // no concert upstream, so the gateway's 503 for it.
    const expected = mode === 'monolith' ? { status: 404, code: 'NOT_FOUND' } : { status: 503, code: /\S/ }
    t.equal(unknown.status, expected.status, 'with an ACTIVE token, an unknown path gets past the guard')
    t.match(unknown.body, { statusCode: expected.status, code: expected.code })
    t.notMatch(unknown.body.code, /^TOKEN_|QUEUE_/)
  })

  // How long an answer is kept, on the clock, is token-cache.test.ts's: here, the wiring.
  await t.test('a burst with one token costs one Redis read; a revocation still shows', async (t) => {
    const token = await admittedToken(api, 27)
    const reads = async () => {
      const text = String((await ops.get('/metrics')).body)
      return Number(/^gateway_queue_guard_reads_total (\d+)/m.exec(text)?.[1] ?? Number.NaN)
    }
    const before = await reads()
    const burst = await Promise.all(Array.from({ length: 20 }, () => api.get(PROBE, { token })))
    t.same(
      burst.map((res) => res.status),
      Array(20).fill(200),
    )
    t.equal(await reads(), before + 1, '20 requests at once, one read')
    await scene.store.revokeToken(27, Date.now() + 60_000)
    t.equal((await refusalOf(api, token)).response.body.code, 'TOKEN_REVOKED', 'the revoked token is refused')
  })

  await t.test('a WAITING token is 403 TOKEN_NOT_ACTIVE until admitted', async (t) => {
    await store.changeSettings({ paused: true })
    t.teardown(() => store.changeSettings({ paused: false }))
    const joined = await api.post('/queue/tokens', { userId: 31 })
    t.equal(joined.body.data.status, 'WAITING')
    const res = await api.get(PROBE, { token: joined.body.data.token })
    t.equal(res.status, 403)
    t.match(res.body, { statusCode: 403, code: 'TOKEN_NOT_ACTIVE', error: 'Forbidden' })
    await store.changeSettings({ paused: false })
    t.ok(
      await eventually(async () => (await api.get(PROBE, { token: joined.body.data.token })).status === 200),
      'passes once admitted',
    )
  })

  // The exact edge, on a clock the test moves, is token-cache.test.ts's: here, the real clocks agree.
  await t.test('an expired token is 401 TOKEN_EXPIRED, on time', async (t) => {
    const token = await admittedToken(api, 41)
    const expiresAt = Date.parse((await api.get('/queue/tokens/status', { token })).body.data.expiresAt)
    const { response, lastPassSentAt, refusedBy } = await refusalOf(api, token, 4 * ttlSeconds * 1000)
    t.ok(lastPassSentAt < expiresAt, 'never let through once expiresAt was reached')
    t.ok(refusedBy >= expiresAt, 'never refused before expiresAt')
    t.equal(response.status, 401)
    t.match(response.body, { statusCode: 401, code: 'TOKEN_EXPIRED' })
  })

  await t.test('payment.completed revokes: 401 TOKEN_REVOKED, and a new visit gets a new token', async (t) => {
    const token = await admittedToken(api, 51)
    t.equal((await api.get(PROBE, { token })).status, 200)
    await publishPayment(scene, 51, `guard-${mode}-51`)
    const res = (await refusalOf(api, token)).response
    t.equal(res.status, 401)
    t.match(res.body, { statusCode: 401, code: 'TOKEN_REVOKED', error: 'Unauthorized', message: /revoked/ })
    t.equal((await api.get('/queue/tokens/status', { token })).body.code, 'TOKEN_REVOKED', 'the queue says so too')
    const again = await admittedToken(api, 51)
    t.not(again, token)
    t.equal((await api.get(PROBE, { token: again })).status, 200)
    t.equal((await api.get(PROBE, { token })).body.code, 'TOKEN_REVOKED', 'the revoked token stays dead')
  })

  await t.test(
    'Redis down: forged tokens still cost no I/O; everything else is a fast 503; then recovery',
    async (t) => {
      // Each request below gives up on its own (`bounded`): "fast" here means answered, not waited on.
      const cached = await admittedToken(api, 61)
      const uncached = await admittedToken(api, 62)
      t.equal((await api.get(PROBE, { token: cached, ...bounded })).status, 200)
      await scene.proxy.disable()
      t.teardown(() => scene.proxy.enable())

      const forged = await api.get(PROBE, { token: tamper(uncached, 2, '63'), ...bounded })
      t.equal(forged.body.code, 'TOKEN_INVALID', 'a forged token is refused without Redis')
      const down = await api.get(PROBE, { token: uncached, ...bounded })
      t.equal(down.status, 503)
      t.match(down.body, { statusCode: 503, code: 'QUEUE_UNAVAILABLE', error: 'Service Unavailable' })
      t.notMatch(JSON.stringify(down.body), /127\.0\.0\.1|ECONNREFUSED|ECONN|redis/i, 'no internals leak')
      // The cache keeps a pass for at most its bound once the revocation feed is lost (token-cache.test.ts).
      t.ok(
        await eventually(async () => (await api.get(PROBE, { token: cached, ...bounded })).status === 503),
        'a cached pass runs out: no traffic goes through unchecked',
      )
      const join = await api.post('/queue/tokens', { userId: 64 }, bounded)
      t.equal(join.status, 503)
      t.equal(join.body.code, 'QUEUE_UNAVAILABLE', 'queue routes answer 503')
      const ready = await ops.get('/health/ready', bounded)
      t.equal(ready.status, 503, 'not ready while the queue store is unreachable')

      await scene.proxy.enable()
      // Each process's Redis client reconnects on its own schedule (the guard's and the queue's are
      // different clients): each recovery is awaited, with room for a machine starved of CPU.
      t.ok(
        await eventually(async () => (await api.get(PROBE, { token: uncached, ...bounded })).status === 200, 30_000),
        'the guard recovers by itself',
      )
      t.ok(
        await eventually(async () => (await api.post('/queue/tokens', { userId: 64 }, bounded)).status === 200, 30_000),
        'and so do the queue routes',
      )
    },
  )
}

t.test('split mode', (t) => guardSuite(t, 'split'))
t.test('monolith mode', (t) => guardSuite(t, 'monolith'))

/**
 * During a key rotation one token has two strings, signed by the new key and the old: the same
 * user and token id. Paying ends the token, so neither string may pass, cached or not.
 */
async function revocationDuringRotation(t: Test, mode: 'split' | 'monolith') {
  // Tokens that outlive the test: only the revocation can end them.
  const scene = await buildScene(t, mode, { QUEUE_TOKEN_KEYS: ROTATED, QUEUE_ACTIVE_TTL_SECONDS: '600' })
  const { api } = scene
  const token = await admittedToken(api, 81)
  t.match(token, /^q1\.k2\./, 'the queue signs with the new key')
  const oldKey = createQueueTokenSigner([{ kid: 'k1', secret: 'first-signing-secret-0123456789' }])
  const other = oldKey.sign(81, Number(token.split('.')[3]))
  // Both strings in use, so the guard holds a pass for each.
  for (let i = 0; i < 3; i++) {
    t.equal((await api.get(PROBE, { token })).status, 200)
    t.equal((await api.get(PROBE, { token: other })).status, 200)
  }

  await publishPayment(scene, 81, `rotation-${mode}-81`)
  t.ok(
    await eventually(async () => (await api.get(PROBE, { token })).status === 401),
    'the string that was used to pay is refused',
  )
  const refused = await api.get(PROBE, { token: other })
  t.equal(refused.status, 401, 'and at once the other string of the same token')
  t.equal(refused.body.code, 'TOKEN_REVOKED')
  t.equal((await api.get(PROBE, { token })).body.code, 'TOKEN_REVOKED')
  for (const string of [token, other]) {
    const status = await api.get('/queue/tokens/status', { token: string })
    t.equal(status.body.code, 'TOKEN_REVOKED', `the queue's status by token says so (${string.slice(0, 5)})`)
  }
}

t.test('key rotation, split mode: a payment revokes every string of the token', (t) =>
  revocationDuringRotation(t, 'split'),
)
t.test('key rotation, monolith mode: a payment revokes every string of the token', (t) =>
  revocationDuringRotation(t, 'monolith'),
)

t.test('key rotation: tokens signed by an older key pass while that key is still listed', async (t) => {
  const { url, prefix } = createTestRedisPrefix(t)
  const target = new URL(url)
  const proxy = await startTcpProxy(t, target.hostname, Number(target.port || 6379))
  const scene = { proxy, redisPrefix: prefix }
  const closed = `http://127.0.0.1:${await freePort()}`
  const queue = await startQueueUpstream(t, gatewayEnv(scene))
  const split = { MODE: 'split', ...queue, POINT_URLS: closed, CONCERT_URLS: closed }
  const { api: before } = await listenWithProbe(t, gatewayEnv(scene, split))
  const oldToken = await admittedToken(before, 71)
  t.match(oldToken, /^q1\.k1\./)

  const { api: rotated } = await listenWithProbe(t, gatewayEnv(scene, { ...split, QUEUE_TOKEN_KEYS: ROTATED }))
  t.same((await rotated.get(PROBE, { token: oldToken })).body, { data: { user: '71' } }, 'old key still listed')
  const newSigner = createQueueTokenSigner([{ kid: 'k2', secret: 'second-signing-secret-0123456789' }])
  const reissued = newSigner.sign(71, Number(oldToken.split('.')[3]))
  t.equal((await rotated.get(PROBE, { token: reissued })).status, 200, 'the new key signs the same token id')

  const { api: retired } = await listenWithProbe(
    t,
    gatewayEnv(scene, { ...split, QUEUE_TOKEN_KEYS: 'k2:second-signing-secret-0123456789' }),
  )
  const res = await retired.get(PROBE, { token: oldToken })
  t.equal(res.status, 401)
  t.equal(res.body.code, 'TOKEN_INVALID', 'once the old key is dropped, its tokens are refused')
  t.equal((await retired.get(PROBE, { token: reissued })).status, 200)
})
