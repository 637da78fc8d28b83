import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { contextDbs } from '@stagepass/db'
import { bullPrefix, consumeEvents, type PaymentCompleted } from '@stagepass/events'
import { registry, type WarningLog } from '@stagepass/kit'
import { fromRoot } from '@stagepass/launcher'
import { countRows, createTestDatabase, createTestRedisPrefix, eventually, startTcpProxy } from '@stagepass/testkit'
import { Queue } from 'bullmq'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { startDataPlatformConsumer } from '../src/data-platform.js'

const database = await createTestDatabase(t)
const { db } = database
const redis = createTestRedisPrefix(t)
const redisPort = Number(new URL(redis.url).port || 6379)

/** Warnings as the process's logger would write them. */
function capturedLog() {
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = []
  const log: WarningLog = { warn: (fields, message) => lines.push({ fields, message }) }
  return { log, lines }
}

/** The operator's command: `stagepass jobs …` against the test's Redis prefix. */
async function jobsCommand(...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [fromRoot('packages', 'launcher', 'dist/src/cli.js'), 'jobs', ...args],
    { env: { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } },
  )
  return stdout.split('\n').filter(Boolean)
}

async function failedJobsCounted(queue: string): Promise<number> {
  const metric = registry.getSingleMetric('bullmq_failed_jobs_total')
  const values = metric ? (await metric.get()).values : []
  return values.find((v) => v.labels.queue === queue)?.value ?? 0
}

t.test('a consumer that fails for good: counted, listed, and replayed once fixed', async (t) => {
  const { log, lines } = capturedLog()
  const consumer = startDataPlatformConsumer(contextDbs(db).booking, {
    redisUrl: redis.url,
    redisPrefix: redis.prefix,
    log,
  })
  t.teardown(() => consumer.close())
  // The data platform's table is away: every attempt fails.
  await sql`rename table sent_analytics to sent_analytics_away`.execute(db)

  const queue = new Queue('events-data-platform', {
    connection: { host: '127.0.0.1', port: redisPort },
    prefix: bullPrefix({ redisUrl: redis.url, redisPrefix: redis.prefix }),
  })
  t.teardown(() => queue.close())
  const payment: PaymentCompleted = {
    paymentId: 9001,
    reservationId: 7001,
    userId: 501,
    seatId: 1,
    concertOptionId: 1,
    amount: 10_000,
    paidAt: new Date().toISOString(),
  }
  // As the publisher enqueues it, with fewer attempts so they run out within the test.
  await queue.add('payment.completed', payment, {
    jobId: 'event-4242',
    attempts: 2,
    backoff: { type: 'fixed', delay: 10 },
  })

  t.ok(await eventually(async () => (await failedJobsCounted('events-data-platform')) === 1), 'counted once')
  t.ok(
    lines.some((l) => /last attempt/.test(l.message) && l.fields.jobId === 'event-4242'),
    'logged with its job id',
  )
  const listed = (await jobsCommand('failed')).map((line) => JSON.parse(line))
  t.match(listed, [{ queue: 'events-data-platform', id: 'event-4242', name: 'payment.completed', attempts: 2 }])
  t.match(listed[0]?.reason, /sent_analytics/, 'with the reason it failed')

  await sql`rename table sent_analytics_away to sent_analytics`.execute(db)
  const replayed = JSON.parse((await jobsCommand('replay', 'events-data-platform'))[0] ?? '{}')
  t.same(replayed, { queue: 'events-data-platform', replayed: ['event-4242'] })
  t.ok(await eventually(async () => (await countRows(db, 'sent_analytics')) === 1), 'the replay records the payment')
  t.ok(await eventually(async () => (await jobsCommand('failed', 'events-data-platform')).length === 0), 'none left')
  t.equal(await failedJobsCounted('events-data-platform'), 1, 'the replay does not fail again')
})

t.test('the operator command names an unknown queue', async (t) => {
  await t.rejects(jobsCommand('replay', 'no-such-queue'), /unknown queue "no-such-queue"/)
})

/** A ready consumer of the concert events whose Redis connection goes through a proxy the test controls. */
async function consumerBehindProxy(t: Test) {
  const proxy = await startTcpProxy(t, '127.0.0.1', redisPort)
  const { log, lines } = capturedLog()
  const consumer = consumeEvents(
    'concert',
    {},
    { redisUrl: `redis://127.0.0.1:${proxy.port}`, redisPrefix: redis.prefix, log, warnEveryMs: 500 },
  )
  await consumer.worker.waitUntilReady()
  return { proxy, lines, consumer }
}

t.test('a broken BullMQ connection is logged, throttled, with the count left out', async (t) => {
  const { proxy, lines, consumer } = await consumerBehindProxy(t)
  t.teardown(() => consumer.close())
  await proxy.disable()
  const connectionErrors = () => lines.filter((l) => l.message === 'BullMQ connection error')
  t.ok(
    await eventually(async () => connectionErrors().some((l) => Number(l.fields.suppressed) > 0)),
    'a later warning counts the errors it left out',
  )
  const [first] = connectionErrors()
  t.match(first?.fields, { queue: 'events-concert', consumer: 'concert' }, 'names the queue and consumer')
  t.match(String((first?.fields.err as Error | undefined)?.message), /ECONNREFUSED|ECONNRESET|closed/)
  await proxy.enable()
})

t.test('a consumer told to stop while Redis is unreachable stops at once, all of it', async (t) => {
  const { proxy, lines, consumer } = await consumerBehindProxy(t)
  await proxy.disable()
  t.ok(
    await eventually(async () => lines.some((l) => l.message === 'BullMQ connection error')),
    'the connection is lost',
  )
  let closedCompletely = false
  consumer.worker.on('closed', () => {
    closedCompletely = true
  })
  // BullMQ's graceful close, begun now, would never end (taskforcesh/bullmq#4656).
  await consumer.close()
  t.ok(closedCompletely, 'the worker closed completely: no timer of its keeps the process alive')
  t.notOk(
    lines.some((l) => l.message.startsWith('BullMQ not closed within')),
    'it did not need the time limit',
  )
})

t.test('consumers stopped while still connecting end without an unhandled rejection', async (t) => {
  // Such a rejection ends a Node process: a service stopped within milliseconds of starting would crash.
  const unhandled: unknown[] = []
  const record = (reason: unknown) => unhandled.push(reason)
  process.prependListener('unhandledRejection', record)
  t.teardown(() => {
    process.off('unhandledRejection', record)
  })
  const { log } = capturedLog()
  for (let i = 0; i < 60; i++) {
    const consumer = consumeEvents('concert', {}, { redisUrl: redis.url, redisPrefix: redis.prefix, log })
    // Stopped at different moments of its start-up: at once, or after one or two turns of the event loop.
    for (let turn = 0; turn < i % 3; turn++) await new Promise((resolve) => setImmediate(resolve))
    await consumer.close()
  }
  // The cut clients' sockets close in the turns that follow; a round trip to Redis comes after them.
  const probe = new Queue('probe', {
    connection: { url: redis.url },
    prefix: bullPrefix({ redisUrl: redis.url, redisPrefix: redis.prefix }),
  })
  await probe.waitUntilReady()
  await probe.close()
  t.same(unhandled, [], 'no start-up failed unheard')
})
