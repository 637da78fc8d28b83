import { bullmqConnection, bullPrefix, closeBullmq } from '@stagepass/events'
import { ManualClock, socketEventsDuring, startRedisCluster } from '@stagepass/testkit'
import { type ConnectionOptions, Queue } from 'bullmq'
import t from 'tap'
import { HoldExpiryQueue } from '../src/hold-expiry.js'

// The expiry jobs of the holds made in one turn go to Redis together, in one pipeline. On a Redis
// Cluster this test starts for itself, so the nodes' statistics are this test's alone.
const cluster = await startRedisCluster(t)
// BullMQ goes to the cluster's nodes; the URL is only the fallback when none are given.
const bus = { redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: cluster.nodes, redisPrefix: 'sp-expiry-test:' }
const QUEUE = 'booking-hold-expiry'
const warnings: string[] = []
const log = { warn: (_fields: unknown, message: string) => warnings.push(message) }
const clock = new ManualClock()
const expiry = new HoldExpiryQueue({ ...bus, log, clock })
t.teardown(() => expiry.close())

/** The jobs as BullMQ keeps them, read through a queue of the test's own on the same cluster. */
async function jobsOf(ids: number[]) {
  const observation = { log, queue: QUEUE }
  const connection = bullmqConnection(bus, observation)
  const queue = new Queue(QUEUE, { connection: connection as ConnectionOptions, prefix: bullPrefix(bus) })
  try {
    return await Promise.all(ids.map((id) => queue.getJob(`hold-${id}`)))
  } finally {
    await closeBullmq([queue], [connection], observation)
  }
}

t.test("100 holds' expiry jobs scheduled at once go in one pipeline, each its own job and delay", async (t) => {
  const ids = Array.from({ length: 100 }, (_, i) => 1000 + i)
  const due = (i: number) => new Date(clock.now() + 300_000 + i * 1000)
  await expiry.schedule(999, due(0)) // the connection made, the script loaded
  const events = await socketEventsDuring(cluster, () => Promise.all(ids.map((id, i) => expiry.schedule(id, due(i)))))
  // One at a time, each of the 100 would be a read and a write of its own.
  t.ok(events.writes <= 10, `the 100 answered in a few writes (${events.writes}), not one each`)
  t.ok(events.reads <= 10, `sent in a few reads (${events.reads}), not one each`)
  const jobs = await jobsOf(ids)
  t.same(
    jobs.map((job) => job?.data.reservationId),
    ids,
    'a job for each hold, carrying its own reservation',
  )
  t.same(
    jobs.map((job) => job?.delay),
    ids.map((_, i) => 300_000 + i * 1000 + 50),
    "each due just after its own hold's expiry",
  )
  t.same(warnings, [])
})
