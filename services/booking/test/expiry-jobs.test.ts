import { bullPrefix } from '@stagepass/events'
import { ManualClock, socketEventsDuring, startRedisCluster } from '@stagepass/testkit'
import { Queue } from 'bullmq'
import { Cluster } from 'ioredis'
import t from 'tap'
import { HoldExpiryQueue } from '../src/hold-expiry.js'

// The expiry jobs of the holds made in one turn go to Redis together, in one pipeline. On a Redis
// Cluster this test starts for itself, so the nodes' statistics are this test's alone.
const cluster = await startRedisCluster(t)
// BullMQ goes to the cluster's nodes; the URL is only the fallback when none are given.
const bus = { redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: cluster.nodes, redisPrefix: 'sp-expiry-test:' }
const warnings: string[] = []
const clock = new ManualClock()
const expiry = new HoldExpiryQueue({ ...bus, log: { warn: (_fields, message) => warnings.push(message) }, clock })
t.teardown(() => expiry.close())

/** The jobs as BullMQ keeps them, read through a queue of the test's own. */
async function jobsOf(ids: number[]) {
  const [host, port] = (cluster.nodes.split(',')[0] as string).split(':')
  const connection = new Cluster([{ host: host as string, port: Number(port) }], { redisOptions: {} })
  const queue = new Queue('booking-hold-expiry', { connection, prefix: bullPrefix(bus) })
  try {
    return await Promise.all(ids.map((id) => queue.getJob(`hold-${id}`)))
  } finally {
    await queue.close()
    connection.disconnect()
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
