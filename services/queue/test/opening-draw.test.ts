import { createQueueTokenSigner, parseQueueTokenKeys } from '@stagepass/kit'
import { concurrently, eventually } from '@stagepass/testkit'
import t from 'tap'
import type { QueueConfig } from '../src/config.js'
import { admin, inspectQueue, queueConfig, startQueueService } from './helpers.js'

const PRE_QUEUE = 10_000
const LATER = 100
const BATCH = 500
/**
 * Under a uniform draw, rho·sqrt(n−1) is close to N(0, 1): a bound of 5 fails a fair draw with
 * probability ~6e-7, while any draw that keeps a trace of the join order (|rho| ≥ 0.05) fails it.
 */
const SIGMAS = 5

/** Spearman's rank correlation of two rankings of the same n items (ranks 0..n−1, no ties). */
function spearman(a: number[], b: number[]): number {
  const n = a.length
  let d2 = 0
  for (let i = 0; i < n; i++) d2 += ((a[i] as number) - (b[i] as number)) ** 2
  return 1 - (6 * d2) / (n * (n * n - 1))
}

const inBatches = async <T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> => {
  const results: T[] = []
  for (let from = 0; from < count; from += BATCH) {
    results.push(...(await concurrently(Math.min(BATCH, count - from), (i) => task(from + i))))
  }
  return results
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString()

function tokenIdOf(config: QueueConfig, token: string): number {
  const claims = createQueueTokenSigner(parseQueueTokenKeys(config.QUEUE_TOKEN_KEYS)).verify(token)
  if (!claims) throw new Error('the queue issued a token it cannot verify')
  return claims.tokenId
}

t.test('the opening draws the pre-queue into a uniformly random order ahead of later arrivals', async (t) => {
  const config = queueConfig(t)
  const a = await startQueueService(t, config)
  const b = await startQueueService(t, config)
  const api = (i: number) => (i % 2 ? b.api : a.api)
  const opensAt = inAnHour()
  const scheduled = await a.api.call('PATCH', '/admin/queue', { body: { paused: true, opensAt }, headers: admin })
  t.match(scheduled.body.data, { opensAt, preQueue: 0 }, 'the opening is scheduled')

  // Pre-queue: userIds 1..n, joining through both instances in concurrent batches.
  const joins = await inBatches(PRE_QUEUE, (i) => api(i).post('/queue/tokens', { userId: i + 1 }))
  t.equal(joins.filter((r) => r.status === 200).length, PRE_QUEUE, 'every pre-queue join answered 200')
  t.ok(
    joins.every(
      (r) => r.body.data.preQueue === true && r.body.data.queueOrder === 0 && r.body.data.opensAt === opensAt,
    ),
    'each joined the pre-queue: queueOrder 0, the opening time',
  )
  const poll = (await b.api.get('/queue/tokens/status/1')).body.data
  t.match(poll, { status: 'WAITING', queueOrder: 0, preQueue: true, opensAt, token: joins[0]?.body.data.token })
  t.ok(poll.remainingTime > 3500 && poll.remainingTime <= 3600, 'remainingTime counts down to the opening')
  t.equal(poll.estimatedWaitSeconds, poll.remainingTime)
  t.equal(poll.pollAfterSeconds, 30, 'an opening an hour away: check back at the longest interval')
  t.equal((await a.api.get('/admin/queue', { headers: admin })).body.data.preQueue, PRE_QUEUE)

  const tokens = joins.map((r) => r.body.data.token as string)
  // Join order: the place sequence each join got (the token id), ranked.
  const joinRank = new Array<number>(PRE_QUEUE)
  tokens
    .map((token, user) => ({ user, id: tokenIdOf(config, token) }))
    .sort((x, y) => x.id - y.id)
    .forEach(({ user }, rank) => {
      joinRank[user] = rank
    })

  // Opening now: moving opensAt into the past opens at once.
  const opened = await a.api.call('PATCH', '/admin/queue', {
    body: { opensAt: new Date(Date.now() - 1000).toISOString() },
    headers: admin,
  })
  t.match(opened.body.data, { opensAt: null, preQueue: 0, waiting: PRE_QUEUE, lastDraw: { users: PRE_QUEUE } })

  const later: number[] = []
  for (let i = 0; i < LATER; i++) {
    const res = await api(i).post('/queue/tokens', { userId: 100_000 + i })
    later.push(res.body.data.queueOrder)
  }
  t.same(
    later,
    Array.from({ length: LATER }, (_, i) => PRE_QUEUE + i),
    'later arrivals line up after the whole pre-queue, in arrival order',
  )

  const statuses = await inBatches(PRE_QUEUE, (i) => api(i + 1).get('/queue/tokens/status', { token: tokens[i] }))
  t.ok(
    statuses.every((r) => r.status === 200 && r.body.data.status === 'WAITING' && r.body.data.preQueue === undefined),
    'every pre-queue token is valid and WAITING in line after the draw',
  )
  const drawnRank = statuses.map((r) => r.body.data.queueOrder as number)
  t.same(
    [...drawnRank].sort((x, y) => x - y),
    Array.from({ length: PRE_QUEUE }, (_, i) => i),
    'the pre-queue holds the places 0..n−1, each once: nobody lost or duplicated',
  )
  const rho = spearman(joinRank, drawnRank)
  const z = rho * Math.sqrt(PRE_QUEUE - 1)
  t.ok(Math.abs(z) < SIGMAS, `drawn order vs join order: rho ${rho.toFixed(4)} (${z.toFixed(2)}σ, bound ${SIGMAS}σ)`)
  t.ok(
    spearman(joinRank, joinRank) * Math.sqrt(PRE_QUEUE - 1) > SIGMAS,
    'control: the check rejects the join order itself',
  )
  t.ok(statuses[0]?.body.data.estimatedWaitSeconds >= 1, 'a drawn place has an estimate')
  const { oldestWaitSeconds } = (await a.api.get('/admin/queue', { headers: admin })).body.data
  t.ok(
    oldestWaitSeconds >= 0 && oldestWaitSeconds < 60,
    `the head has waited since the opening (${oldestWaitSeconds}s)`,
  )

  await a.api.call('PATCH', '/admin/queue', {
    body: { paused: false, admitPerSecond: 100_000, maxActive: 100_000 },
    headers: admin,
  })
  t.ok(
    await eventually(
      async () => (await a.api.get('/admin/queue', { headers: admin })).body.data.waiting === 0,
      30_000,
      100,
    ),
    'everyone is admitted',
  )
  const admitted = await inBatches(PRE_QUEUE, (i) => api(i).get('/queue/tokens/status', { token: tokens[i] }))
  t.ok(
    admitted.every((r, i) => r.body.data?.status === 'ACTIVE' && r.body.data.token === tokens[i]),
    'each pre-queue token is ACTIVE after admission, unchanged',
  )
  t.equal((await a.api.get('/admin/queue', { headers: admin })).body.data.active, PRE_QUEUE + LATER)
})

t.test('two instances racing at the opening draw exactly once', async (t) => {
  const config = queueConfig(t, { QUEUE_TICK_MS: 10 })
  const a = await startQueueService(t, config)
  const b = await startQueueService(t, config)
  const { redis, keys } = inspectQueue(t, config)
  const users = 2000
  await a.api.call('PATCH', '/admin/queue', { body: { paused: true, opensAt: inAnHour() }, headers: admin })
  await inBatches(users, (i) => (i % 2 ? a : b).api.post('/queue/tokens', { userId: i + 1 }))

  // The opening time arrives (set in Redis directly, as time passing would): both instances'
  // ticks and a burst of polls through both race to perform the draw.
  const [seconds] = await redis.time()
  await redis.hset(keys.settings, 'opensAt', String(Number(seconds) * 1000))
  await concurrently(400, (i) => (i % 2 ? a : b).api.get(`/queue/tokens/status/${(i % users) + 1}`))

  const order = await redis.zrange(keys.drawn, 0, -1)
  t.equal(order.length, users, 'everyone is in line once')
  t.equal(new Set(order).size, users)
  t.equal(await redis.zcard(keys.preQueue), 0, 'the pre-queue is empty')
  t.equal(await redis.hlen(keys.drawnTokens), users, 'one token record per drawn user')
  const stats = (await b.api.get('/admin/queue', { headers: admin })).body.data
  t.match(stats, { opensAt: null, preQueue: 0, waiting: users, lastDraw: { users } }, 'one draw, of everyone')
  await concurrently(400, (i) => (i % 2 ? a : b).api.get(`/queue/tokens/status/${(i % users) + 1}`))
  t.same(await redis.zrange(keys.drawn, 0, -1), order, 'later scripts do not draw again')
})

t.test('a drawn user who never comes back after the opening is dropped when reached', async (t) => {
  const config = queueConfig(t, { QUEUE_ABANDON_AFTER_SECONDS: 1 })
  const { api } = await startQueueService(t, config)
  await api.call('PATCH', '/admin/queue', { body: { paused: true, opensAt: inAnHour() }, headers: admin })
  const [stays, leaves] = [
    (await api.post('/queue/tokens', { userId: 1 })).body.data,
    (await api.post('/queue/tokens', { userId: 2 })).body.data,
  ]
  // The opening was five seconds ago (more than abandonAfter): only users who poll after it count.
  await api.call('PATCH', '/admin/queue', {
    body: { opensAt: new Date(Date.now() - 5000).toISOString() },
    headers: admin,
  })
  t.equal((await api.get('/queue/tokens/status', { token: stays.token })).body.data.status, 'WAITING', 'user 1 polls')
  await api.call('PATCH', '/admin/queue', { body: { paused: false }, headers: admin })
  t.ok(
    await eventually(async () => (await api.get('/admin/queue', { headers: admin })).body.data.waiting === 0),
    'the line empties',
  )
  t.equal((await api.get('/queue/tokens/status', { token: stays.token })).body.data?.status, 'ACTIVE', 'user 1 is in')
  t.equal((await api.get('/queue/tokens/status', { token: leaves.token })).body.code, 'TOKEN_EXPIRED', 'user 2 is gone')
  t.equal((await api.get('/admin/queue', { headers: admin })).body.data.active, 1, 'and took no room')
})

t.test('the opening: validation, and no cancelling while users wait for it', async (t) => {
  const config = queueConfig(t)
  const { api } = await startQueueService(t, config)
  for (const opensAt of ['2026-02-30T10:00:00.000Z', 'tomorrow', '2026-12-24T19:00:00+09:00', 1_800_000_000_000, '']) {
    const res = await api.call('PATCH', '/admin/queue', { body: { opensAt }, headers: admin })
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR' }, `opensAt ${JSON.stringify(opensAt)}`)
  }
  t.equal((await api.get('/admin/queue', { headers: admin })).body.data.opensAt, null, 'nothing was scheduled')

  const opensAt = inAnHour()
  await api.call('PATCH', '/admin/queue', { body: { opensAt }, headers: admin })
  await api.post('/queue/tokens', { userId: 42 })
  const cancel = await api.call('PATCH', '/admin/queue', { body: { opensAt: null, paused: true }, headers: admin })
  t.match(cancel.body, { statusCode: 409, code: 'PRE_QUEUE_NOT_EMPTY' }, 'cancelling is refused')
  t.match(
    (await api.get('/admin/queue', { headers: admin })).body.data,
    { opensAt, paused: false, preQueue: 1 },
    'nothing changed',
  )
  const later = new Date(Date.parse(opensAt) + 60_000).toISOString()
  await api.call('PATCH', '/admin/queue', { body: { opensAt: later }, headers: admin })
  t.match((await api.get('/queue/tokens/status/42')).body.data, { preQueue: true, opensAt: later }, 'moved, not lost')
})
