import { createQueueTokenSigner, parseQueueTokenKeys } from '@stagepass/kit'
import { keySlot, startRedisCluster, waitFor } from '@stagepass/testkit'
import t from 'tap'
import { proofMarkKey } from '../src/keys.js'
import { createRevocationReader, createTokenStateReader } from '../src/store.js'
import { admin, inspectQueue, queueConfig, startQueueService } from './helpers.js'

// One cluster for the file: three masters, no replicas.
const cluster = await startRedisCluster(t)
const [firstNode = 0] = cluster.ports

t.test('every key the waiting room touches together shares one slot', async (t) => {
  const config = queueConfig(t, { REDIS_CLUSTER_NODES: cluster.nodes })
  const { keys } = inspectQueue(t, config)
  const all = [...Object.values(keys), proofMarkKey(config.REDIS_PREFIX, 'challenge-id')]
  const slots = new Set(await Promise.all(all.map((key) => keySlot(firstNode, key))))
  t.equal(slots.size, 1, `${all.length} keys, slots ${[...slots].join(', ')}`)
})

t.test('every queue script runs on the cluster (a key outside the slot would fail it with CROSSSLOT)', async (t) => {
  const config = queueConfig(t, { REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_ACTIVE_TTL_SECONDS: 600 })
  const { api } = await startQueueService(t, config)
  const { redis, store } = inspectQueue(t, config)
  const change = async (body: Record<string, unknown>) => {
    const res = await api.call('PATCH', '/admin/queue', { body, headers: admin })
    t.equal(res.status, 200, `PATCH /admin/queue ${JSON.stringify(body)}`)
    return res.body.data
  }

  // Pre-queue, then the opening's draw.
  await change({ paused: true, opensAt: new Date(Date.now() + 3_600_000).toISOString() })
  const early = await api.post('/queue/tokens', { userId: 1 })
  t.match(early.body.data, { status: 'WAITING', preQueue: true }, 'a join before the opening')
  t.match(await change({ opensAt: new Date(Date.now() - 1000).toISOString() }), { lastDraw: { users: 1 } }, 'drawn')

  // Direct joins, status by user and by token, a challenge's terms.
  for (const userId of [2, 3, 4])
    t.equal((await api.post('/queue/tokens', { userId })).status, 200, `user ${userId} joins`)
  const byUser = await api.get('/queue/tokens/status/3')
  t.match(byUser.body.data, { status: 'WAITING', queueOrder: 2 }, 'status by user')
  t.equal((await api.get('/queue/tokens/status', { token: byUser.body.data.token })).status, 200, 'status by token')
  t.equal((await api.get('/queue/challenge')).status, 200, 'a challenge')

  // Admission ticks (admit and sweep) let everyone in.
  await change({ paused: false, admitPerSecond: 1000 })
  const active = await waitFor(async () => {
    const res = await api.get('/queue/tokens/status/4')
    return res.body.data?.status === 'ACTIVE' ? res.body.data : undefined
  })
  t.match(active, { status: 'ACTIVE', userId: 4 }, 'admitted by the ticks')

  // What the gateway's guard reads: token state and the revocation feed.
  const readState = createTokenStateReader(redis, config.REDIS_PREFIX)
  const claims = createQueueTokenSigner(parseQueueTokenKeys(config.QUEUE_TOKEN_KEYS)).verify(active.token)
  t.match(await readState(4, claims?.tokenId ?? 0), { status: 'ACTIVE' }, 'the guard reads the token ACTIVE')
  const feed = createRevocationReader(redis, config.REDIS_PREFIX)
  const before = await feed.latest()
  t.ok(await store.revokeToken(4, Date.now() + 60_000), 'the token is revoked')
  t.match(await feed.since(before), { userIds: [4] }, 'and the revocation is in the feed')

  // Stats read every structure at once.
  const stats = await api.get('/admin/queue', { headers: admin })
  t.match(stats.body.data, { waiting: 0, active: Number, paused: false }, 'stats')
})

// Last: it takes a master away for good.
t.test('a master gone (no replica to take over): the queue routes answer 503 QUEUE_UNAVAILABLE', async (t) => {
  const config = queueConfig(t, { REDIS_CLUSTER_NODES: cluster.nodes })
  const { api } = await startQueueService(t, config)
  t.equal((await api.post('/queue/tokens', { userId: 1 })).status, 200, 'a join while the cluster is whole')
  const { keys } = inspectQueue(t, config)
  await cluster.kill(await cluster.masterOf(await keySlot(firstNode, keys.waiting)), 'SIGKILL')
  for (const [label, call] of [
    ['POST /queue/tokens', () => api.post('/queue/tokens', { userId: 2 })],
    ['GET /queue/tokens/status/1', () => api.get('/queue/tokens/status/1')],
  ] as const) {
    const res = await call()
    t.match(res.body, { statusCode: 503, code: 'QUEUE_UNAVAILABLE' }, label)
  }
})
