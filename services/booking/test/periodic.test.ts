import { bullPrefix } from '@stagepass/events'
import { registry } from '@stagepass/kit'
import { createTestDatabase, createTestRedisPrefix, eventually } from '@stagepass/testkit'
import { QueueEvents } from 'bullmq'
import t from 'tap'
import { noPoints, startBooking } from './helpers/booking.js'

const INTERVAL_MS = 200
const database = await createTestDatabase(t)
const redis = createTestRedisPrefix(t)

/** Runs of a periodic task, counted by the three instances together (one process, one registry). */
async function runsOf(task: string): Promise<number> {
  const metric = registry.getSingleMetric('booking_periodic_runs_total')
  const values = metric ? (await metric.get()).values : []
  return values.find((v) => v.labels.task === task && v.labels.outcome === 'ok')?.value ?? 0
}

t.test('three instances on one database and Redis run the sweep and the reconciler once per interval', async (t) => {
  // Every interval's job, as BullMQ reports it done, whichever instance ran it.
  const events = new QueueEvents('booking-periodic', {
    connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port || 6379) },
    prefix: bullPrefix({ redisUrl: redis.url, redisPrefix: redis.prefix }),
  })
  t.teardown(() => events.close())
  await events.waitUntilReady()
  const done: string[] = []
  events.on('completed', ({ jobId }) => done.push(jobId))

  const settings = { HOLD_SWEEP_INTERVAL_MS: INTERVAL_MS, PAYMENT_RECONCILE_INTERVAL_MS: INTERVAL_MS }
  const instances = []
  for (let i = 0; i < 3; i++) {
    instances.push(await startBooking(t, { mysql: database.config, redis, points: noPoints, settings }))
  }
  t.ok(await eventually(async () => (await runsOf('hold-sweep')) >= 10), 'the sweep runs')
  t.ok(await eventually(async () => (await runsOf('payment-reconciler')) >= 10), 'the reconciler runs')
  await Promise.all(instances.map((instance) => instance.close()))
  const runs = { sweep: await runsOf('hold-sweep'), reconciler: await runsOf('payment-reconciler') }

  const dueTimes = (task: string) =>
    done
      .filter((id) => id.startsWith(`repeat:${task}:`))
      .map((id) => Number(id.split(':').pop()))
      .sort((a, b) => a - b)
  for (const [task, counted] of [
    ['hold-sweep', runs.sweep],
    ['payment-reconciler', runs.reconciler],
  ] as const) {
    t.ok(await eventually(async () => dueTimes(task).length >= counted), `${task}: every run reported`)
    const due = dueTimes(task)
    t.equal(new Set(due).size, due.length, `${task}: no interval ran twice`)
    t.equal(due.length, counted, `${task}: one run per interval, across the three instances`)
  }
})
