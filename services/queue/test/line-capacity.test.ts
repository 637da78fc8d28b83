import type { RedisClient } from '@stagepass/kit'
import { type ApiResponse, concurrently, tally } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import type { QueueKeys } from '../src/keys.js'
import { admin, inspectQueue, queueConfig, startQueueService } from './helpers.js'

/** Every key the line keeps under the test's prefix, with its size: what grows with each new place. */
async function lineFootprint(redis: RedisClient, keys: QueueKeys) {
  return {
    waiting: await redis.zcard(keys.waiting),
    preQueue: await redis.zcard(keys.preQueue),
    lastSeen: await redis.zcard(keys.lastSeen),
    drawnTokens: await redis.hlen(keys.drawnTokens),
    sequence: Number(await redis.get(keys.sequence)),
  }
}

async function keyCount(redis: RedisClient, prefix: string) {
  return (await redis.keys(`${prefix}*`)).length
}

/** The refused answers of a flood: each 503 QUEUE_FULL, with a Retry-After a client can wait out. */
function checkRefusals(t: Test, refused: ApiResponse[]) {
  const codes = tally(refused.map((r) => `${r.status} ${r.body.code}`))
  t.same(codes, { '503 QUEUE_FULL': refused.length }, 'every other join: 503 QUEUE_FULL')
  const retryAfter = new Set(refused.map((r) => r.headers['retry-after']))
  t.ok(
    [...retryAfter].every((value) => Number.isInteger(Number(value)) && Number(value) >= 1),
    `each with Retry-After in whole seconds (${[...retryAfter].join(', ')})`,
  )
  t.match(refused[0]?.body, { statusCode: 503, error: 'Service Unavailable', message: /full/ })
}

t.test('a flood of new users against a small line: exactly capacity get places, Redis stays that size', async (t) => {
  const capacity = 100
  const config = queueConfig(t, { QUEUE_LINE_CAPACITY: capacity })
  const { redis, store, keys } = inspectQueue(t, config)
  await store.changeSettings({ paused: true })
  // Two instances on one Redis: the check holds across processes, not only within one.
  const instances = [await startQueueService(t, config), await startQueueService(t, config)]
  const join = (i: number, userId: number) =>
    (instances[i % 2] as (typeof instances)[0]).api.post('/queue/tokens', { userId })

  const flood = await concurrently(500, (i) => join(i, 1000 + i))
  const placed = flood.filter((r) => r.status === 200)
  t.equal(placed.length, capacity, `${capacity} of 500 concurrent joins got a place`)
  t.same(
    placed.map((r) => r.body.data.queueOrder).sort((a: number, b: number) => a - b),
    Array.from({ length: capacity }, (_, i) => i),
    'places 0..99, each once',
  )
  checkRefusals(
    t,
    flood.filter((r) => r.status !== 200),
  )
  const footprint = await lineFootprint(redis, keys)
  t.same(footprint, { waiting: capacity, preQueue: 0, lastSeen: capacity, drawnTokens: 0, sequence: capacity })
  const keysAfterFirst = await keyCount(redis, config.REDIS_PREFIX)

  // A second, larger flood of other users changes nothing in Redis.
  const second = await concurrently(800, (i) => join(i, 5000 + i))
  t.same(tally(second.map((r) => r.status)), { 503: 800 }, 'a full line refuses every new user')
  t.same(await lineFootprint(redis, keys), footprint, 'the line, its polls and the sequence did not grow')
  t.equal(await keyCount(redis, config.REDIS_PREFIX), keysAfterFirst, 'no new keys')

  // Users in line joining again keep their place and token: the full line is not their problem.
  const again = await concurrently(capacity, (i) => {
    const first = placed[i] as ApiResponse
    return join(i + 1, first.body.data.userId).then((res) => ({ res, first }))
  })
  t.ok(
    again.every(({ res, first }) => res.status === 200 && res.body.data.token === first.body.data.token),
    'every user in line who joins again gets 200 with the same token',
  )
  t.ok(
    again.every(({ res, first }) => res.body.data.queueOrder === first.body.data.queueOrder),
    'and the same place',
  )

  const stats = await instances[0]?.api.get('/admin/queue', { headers: admin })
  t.match(stats?.body.data, { waiting: capacity, preQueue: 0, capacity, full: true }, 'the admin numbers say so')
  const metrics = String((await instances[0]?.ops.get('/metrics'))?.body)
  const refusals = Number(/^queue_full_refusals_total (\d+)/m.exec(metrics)?.[1])
  t.ok(refusals > 0, `refusals counted (${refusals} on this instance)`)
  // What the Redis memory alerts read: Redis's own numbers, taken when scraped.
  const used = Number(/^queue_redis_memory_bytes\{kind="used"\} (\d+)/m.exec(metrics)?.[1])
  const max = Number(/^queue_redis_memory_bytes\{kind="max"\} (\d+)/m.exec(metrics)?.[1])
  t.ok(used > 0, `Redis memory used: ${used} bytes`)
  t.ok(Number.isInteger(max), `Redis maxmemory: ${max} (0 = no limit)`)
})

t.test('the pre-queue counts against the capacity, checked in the same step as the place', async (t) => {
  const capacity = 50
  const config = queueConfig(t, { QUEUE_LINE_CAPACITY: capacity })
  const { redis, store, keys } = inspectQueue(t, config)
  await store.changeSettings({ opensAt: Date.now() + 3_600_000 })
  const { api } = await startQueueService(t, config)

  const flood = await concurrently(300, (i) => api.post('/queue/tokens', { userId: 1 + i }))
  const placed = flood.filter((r) => r.status === 200)
  t.equal(placed.length, capacity, `${capacity} of 300 got a pre-queue place`)
  t.ok(
    placed.every((r) => r.body.data.preQueue === true),
    'each in the pre-queue',
  )
  checkRefusals(
    t,
    flood.filter((r) => r.status !== 200),
  )
  t.same(await lineFootprint(redis, keys), {
    waiting: 0,
    preQueue: capacity,
    lastSeen: 0,
    drawnTokens: capacity,
    sequence: capacity,
  })
  const rejoin = await api.post('/queue/tokens', { userId: placed[0]?.body.data.userId })
  t.equal(rejoin.status, 200, 'a pre-queue user joining again keeps the place')
  t.equal(rejoin.body.data.token, placed[0]?.body.data.token)
  const stats = await api.get('/admin/queue', { headers: admin })
  t.match(stats.body.data, { waiting: 0, preQueue: capacity, capacity, full: true })
})

t.test('operators change the capacity at once; a lower one refuses joins and drops no one', async (t) => {
  const config = queueConfig(t, { QUEUE_LINE_CAPACITY: 10 })
  const { store } = inspectQueue(t, config)
  await store.changeSettings({ paused: true })
  const { api } = await startQueueService(t, config)
  const joins = await concurrently(30, (i) => api.post('/queue/tokens', { userId: 1 + i }))
  t.same(tally(joins.map((r) => r.status)), { 200: 10, 503: 20 })

  const raised = await api.call('PATCH', '/admin/queue', { headers: admin, body: { capacity: 15 } })
  t.equal(raised.status, 200)
  t.match(raised.body.data, { capacity: 15, full: false, waiting: 10 })
  const more = await concurrently(30, (i) => api.post('/queue/tokens', { userId: 100 + i }))
  t.same(tally(more.map((r) => r.status)), { 200: 5, 503: 25 }, 'five more places, no more')

  const lowered = await api.call('PATCH', '/admin/queue', { headers: admin, body: { capacity: 5 } })
  t.match(lowered.body.data, { capacity: 5, full: true, waiting: 15 }, 'nobody in line is dropped')
  t.equal((await api.post('/queue/tokens', { userId: 500 })).status, 503)
  t.equal((await api.get('/queue/tokens/status/1')).status, 200, 'the ones in line keep waiting')

  for (const capacity of [0, -1, 1.5, '10', 100_000_001]) {
    const res = await api.call('PATCH', '/admin/queue', { headers: admin, body: { capacity } })
    t.equal(res.status, 400, `capacity ${JSON.stringify(capacity)}: 400`)
    t.match(res.body, { code: 'VALIDATION_ERROR', message: /capacity/ })
  }
  t.equal((await api.get('/admin/queue', { headers: admin })).body.data.capacity, 5, 'refused changes wrote nothing')
})

t.test('a tick sweeps every abandoned user that is due in batches, not a fixed thousand', async (t) => {
  const config = queueConfig(t, { QUEUE_ABANDON_AFTER_SECONDS: 60 })
  const { redis, store, keys } = inspectQueue(t, config)
  await store.changeSettings({ paused: true })
  // Five batches and then some: more than any fixed per-tick limit of a thousand.
  const users = 5123
  for (let from = 1; from <= users; from += 1000) {
    await concurrently(Math.min(1000, users - from + 1), (i) => store.joinLine(from + i))
  }
  // Everyone but the last 100 stopped polling two minutes ago.
  const gone = Array.from({ length: users - 100 }, (_, i) => [Date.now() - 120_000, String(1 + i)]).flat()
  await redis.zadd(keys.lastSeen, ...gone)

  // No time to spare: one batch, and the tick says the sweep is not finished.
  const short = await store.admitWaitingUsers(0)
  t.match(short, { abandoned: 1000, sweepBatches: 1, sweepFinished: false }, 'a spent budget stops after one batch')
  const tick = await store.admitWaitingUsers(Number.POSITIVE_INFINITY)
  t.equal(tick.abandoned, users - 1100, `the next tick dropped all ${users - 1100} still due`)
  t.match(tick, { sweepBatches: 5, sweepFinished: true }, 'batch by batch until one came back short')
  t.equal(await redis.zcard(keys.waiting), 100, 'the 100 who poll keep their places')
  t.equal(await redis.zcard(keys.lastSeen), 100)
})
