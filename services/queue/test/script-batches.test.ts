import { commandsRun, startRedisCluster } from '@stagepass/testkit'
import t from 'tap'
import { inspectQueue, queueConfig } from './helpers.js'

// The joins (and the status polls) one queue instance takes in during one turn of its event loop go to
// Redis as one call of the JOIN (STATUS) script. On a Redis Cluster of this file's own, so the nodes' command statistics count this
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

t.test('300 status polls at once: one script call, each user told their own place', async (t) => {
  // One poll first, so the script is known to Redis and the count below is of calls, not of loading.
  await store.statusOf(1)
  const users = Array.from({ length: 300 }, (_, i) => 2 + i)
  let tickets: Awaited<ReturnType<typeof store.statusOf>>[] = []
  const calls = await commandsRun(cluster, async () => {
    tickets = await Promise.all(users.map((userId) => store.statusOf(userId)))
  })
  t.equal(calls.evalsha, 1, 'one call of the script for the 300')
  const inLine = tickets.slice(0, 249)
  t.ok(
    inLine.every((ticket, i) => ticket?.status === 'WAITING' && ticket.userId === users[i]),
    'the 249 in line: WAITING, each as their own user',
  )
  t.same(
    inLine.map((ticket) => (ticket?.status === 'WAITING' ? ticket.queueOrder : -1)),
    Array.from({ length: 249 }, (_, i) => i + 1),
    'each at their own place, behind the user of the first test',
  )
  t.ok(
    tickets.slice(249).every((ticket) => ticket === undefined),
    'the users the full line refused have no ticket',
  )
})
