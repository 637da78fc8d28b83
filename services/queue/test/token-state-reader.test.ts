import { createRedis, type RedisClient, type RedisTarget, redisReady, redisTargetOf } from '@stagepass/kit'
import { commandsRun, eventually, startRedisCluster, startTcpProxy } from '@stagepass/testkit'
import t from 'tap'
import { createTokenStateReader } from '../src/store.js'
import { inspectQueue, queueConfig } from './helpers.js'

// What the gateway's guard asks Redis for each token it has not seen yet. The counting test runs on
// a Redis Cluster of this file's own, so the nodes' command statistics are this test's commands alone.
const cluster = await startRedisCluster(t)
const config = queueConfig(t, {
  REDIS_CLUSTER_NODES: cluster.nodes,
  QUEUE_ADMIT_PER_SECOND: 1000,
  QUEUE_MAX_ACTIVE: 1000,
})
const { store } = inspectQueue(t, config)
const USERS = Array.from({ length: 300 }, (_, i) => 1 + i)

/** Every user in line, then admitted: their ACTIVE token ids. */
async function admitAll(): Promise<Map<number, number>> {
  for (const userId of USERS) await store.joinLine(userId)
  const tokenIds = new Map<number, number>()
  for (let tick = 0; tokenIds.size < USERS.length && tick < 100; tick++) {
    await store.admitWaitingUsers()
    for (const userId of USERS) {
      const ticket = await store.statusOf(userId)
      if (ticket?.status === 'ACTIVE') tokenIds.set(userId, ticket.tokenId)
    }
  }
  return tokenIds
}
const tokenIds = await admitAll()

/** A client as the guard makes it (no offline queue: an outage fails a read at once). */
async function guardClient(target: RedisTarget): Promise<RedisClient> {
  const client = createRedis(target)
  client.on('error', () => {})
  t.teardown(() => client.disconnect())
  await redisReady(client, 10_000)
  return client
}

t.test('tokens first seen together are read in one command, each with its own answer', async (t) => {
  t.equal(tokenIds.size, USERS.length, 'every user is admitted')
  const reader = createTokenStateReader(await guardClient(redisTargetOf(config)), config.REDIS_PREFIX)
  let states: Awaited<ReturnType<typeof reader>>[] = []
  const calls = await commandsRun(cluster, async () => {
    states = await Promise.all(USERS.map((userId) => reader(userId, tokenIds.get(userId) ?? 0)))
  })
  t.same(
    { hmget: calls.hmget, hget: calls.hget },
    { hmget: 1, hget: undefined },
    'one HMGET for the 300 tokens, no HGET each',
  )
  t.ok(
    states.every(
      (state, i) =>
        state?.status === 'ACTIVE' && state.userId === USERS[i] && state.tokenId === tokenIds.get(state.userId),
    ),
    "every token is ACTIVE, as its own user's",
  )
  const stale = await reader(1, (tokenIds.get(1) ?? 0) + 1_000_000)
  t.not(stale?.status, 'ACTIVE', 'a token id that is not the live one is not ACTIVE')
})

t.test('with Redis away, every read of the batch fails, and the next batch reads again', async (t) => {
  // On the machine's Redis, through a proxy the test can cut: the users are unknown there, which
  // changes nothing about whether a read is answered.
  const target = new URL(config.REDIS_URL)
  const proxy = await startTcpProxy(t, target.hostname, Number(target.port || 6379))
  const reader = createTokenStateReader(
    await guardClient({ url: `redis://127.0.0.1:${proxy.port}` }),
    config.REDIS_PREFIX,
  )
  const answered = async (userId: number) =>
    reader(userId, 1).then(
      () => true,
      () => false,
    )
  t.ok(await answered(1), 'answered through the proxy')
  await proxy.disable()
  const outcomes = await Promise.allSettled(USERS.slice(0, 50).map((userId) => reader(userId, 1)))
  t.ok(
    outcomes.every((o) => o.status === 'rejected'),
    'all 50 are refused, none left waiting',
  )
  await proxy.enable()
  t.ok(await eventually(() => answered(2)), 'answered again once Redis is back')
})
