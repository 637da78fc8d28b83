import { startRedisCluster } from '@stagepass/testkit'
import t from 'tap'
import { commandsRun, inspectQueue, queueConfig } from './helpers.js'

// The joins one queue instance takes in during one turn of its event loop go to Redis as one call of
// the JOIN script. On a Redis Cluster of this file's own, so the nodes' command statistics count this
// test's commands alone.
const cluster = await startRedisCluster(t)
const config = queueConfig(t, { REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_LINE_CAPACITY: 250 })
const { store, redis, keys } = inspectQueue(t, config)

t.test('a user asking twice in one turn is given one place', async (t) => {
  const [first, second] = await Promise.all([store.joinLine(5000), store.joinLine(5000)])
  t.ok(first?.joined, 'the first join makes the place')
  t.equal(second?.joined, false, 'the second finds it')
  t.equal(second?.ticket.tokenId, first?.ticket.tokenId)
})

t.test('300 joins at once: one script call, each user their own place, the line not past its capacity', async (t) => {
  // The test before has loaded the script into Redis: the count below is of calls, not of loading.
  const users = Array.from({ length: 300 }, (_, i) => 2 + i)
  let outcomes: PromiseSettledResult<Awaited<ReturnType<typeof store.joinLine>>>[] = []
  const calls = await commandsRun(cluster, async () => {
    outcomes = await Promise.allSettled(users.map((userId) => store.joinLine(userId)))
  })
  t.equal(calls.evalsha, 1, 'one call of the script for the 300')
  const joined = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { code?: string }] : []))
  t.equal(joined.length, 249, 'places up to the capacity (one was taken by the test before)')
  t.ok(
    refused.every((err) => err.code === 'QUEUE_FULL'),
    'the rest refused as the line is full',
  )
  t.ok(
    joined.every(({ ticket, joined }, i) => joined && ticket.userId === users[i] && ticket.status === 'WAITING'),
    'the first 249 in order, each told of their own new place',
  )
  t.equal(new Set(joined.map(({ ticket }) => ticket.tokenId)).size, 249, 'each place its own token id')
  t.equal(await redis.zcard(keys.waiting), 250, 'the line holds exactly its capacity')
})
