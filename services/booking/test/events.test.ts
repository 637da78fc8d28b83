import { contextDbs, inTransaction } from '@stagepass/db'
import { bullPrefix, type EventName, EventPublisher, type PublishedEvent } from '@stagepass/events'
import {
  countRows,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  ManualClock,
  startTcpProxy,
} from '@stagepass/testkit'
import { Queue } from 'bullmq'
import { sql } from 'kysely'
import t from 'tap'
import { recordPaymentsSent } from '../src/data-platform.js'
import { enqueueEvent, OutboxRelay, pruneSentEvents } from '../src/outbox.js'
import { addPerformance, outboxEvents, quietLog, startBooking, startPointService } from './helpers/booking.js'

const database = await createTestDatabase(t)
const { db } = database
/** The handle booking's code queries through. */
const bookingDb = contextDbs(db).booking
const redis = createTestRedisPrefix(t)
const point = await startPointService(t, database.config)
// Booking reaches Redis only through this proxy, so the test can take Redis away from it alone.
const proxy = await startTcpProxy(t, '127.0.0.1', Number(new URL(redis.url).port || 6379))
const booking = await startBooking(t, {
  mysql: database.config,
  redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: redis.prefix },
  points: point.client(),
  logLevel: 'fatal',
})

/** The consumer queues as BullMQ holds them, read over the real Redis. */
function consumerQueue(consumer: string) {
  const queue = new Queue(`events-${consumer}`, {
    connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port || 6379) },
    prefix: bullPrefix({ redisUrl: redis.url, redisPrefix: redis.prefix }),
  })
  t.teardown(() => queue.close())
  return queue
}
const queueConsumer = consumerQueue('queue')
const dataPlatform = consumerQueue('data-platform')

async function jobIdsOf(queue: Queue, name: EventName) {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'])
  return jobs.filter((j) => j?.name === name).map((j) => String(j.id))
}

async function outboxLag(): Promise<number> {
  const text = (await booking.ops.get('/metrics')).body as string
  return Number(text.match(/^booking_outbox_lag_seconds (\S+)$/m)?.[1])
}

t.test('Redis down at commit time: payments commit; events go out once Redis is back, each once', async (t) => {
  const buyers = 20
  const { seatIds } = await addPerformance(db, { seats: buyers, price: 10_000 })
  const holds = []
  for (let i = 0; i < buyers; i++) {
    await point.charge(100 + i, 10_000)
    holds.push((await booking.as(100 + i).reserve({ seatId: seatIds[i] })).body.data)
  }
  t.ok(await eventually(async () => (await countRows(db, 'outbox', sql`state = 'PENDING'`)) === 0), 'holds published')

  await proxy.disable()
  const paid = await Promise.all(holds.map((h, i) => booking.as(100 + i).pay({ reservationId: h.reservationId })))
  t.same(
    paid.map((r) => r.status),
    Array(buyers).fill(200),
    'every payment commits without Redis',
  )
  t.equal(await countRows(db, 'reservation', sql`user_id between 100 and 119 and status = 'PAID'`), buyers)
  t.ok(
    await eventually(async () => (await countRows(db, 'outbox', sql`state = 'PENDING' and attempts > 0`)) === buyers),
    'the relay tried, failed, and kept the events',
  )
  const failed = await outboxEvents(db, 'payment.completed')
  t.ok(
    failed.every((e) => e.state === 'PENDING' && e.last_error),
    'each unsent event records its last error',
  )
  t.ok((await outboxLag()) > 0, 'the outbox lag gauge shows the backlog')

  await proxy.enable()
  t.ok(
    await eventually(async () => (await countRows(db, 'outbox', sql`state = 'PENDING'`)) === 0, 15_000),
    'published after Redis returns',
  )
  const events = await outboxEvents(db, 'payment.completed')
  t.equal(events.length, buyers, 'one payment.completed per payment')
  t.ok(
    events.every((e) => e.state === 'SENT' && e.sent_at),
    'all marked sent',
  )
  const expectedJobs = events.map((e) => `event-${e.id}`).sort()
  t.same((await jobIdsOf(queueConsumer, 'payment.completed')).sort(), expectedJobs, 'queue got each event once')
  t.same((await jobIdsOf(dataPlatform, 'payment.completed')).sort(), expectedJobs, 'data-platform got each once')
  t.ok(
    await eventually(async () => (await countRows(db, 'sent_analytics')) === buyers),
    'the data-platform consumer recorded every payment',
  )
  const recorded = await db.selectFrom('sent_analytics').select(['payment_id', 'event_id', 'amount']).execute()
  t.same(
    recorded.map((r) => r.payment_id).sort(),
    paid.map((r) => r.body.data.paymentId).sort(),
    'each payment exactly once',
  )
  t.ok(await eventually(async () => (await outboxLag()) === 0), 'lag back to 0')
})

t.test('a relay that dies after publishing re-publishes the same event id: no duplicate effect', async (t) => {
  const [event] = await outboxEvents(db, 'payment.completed')
  if (!event) throw new Error('needs the previous test')
  const jobsBefore = (await jobIdsOf(dataPlatform, 'payment.completed')).length
  const rowsBefore = await countRows(db, 'sent_analytics')
  // As if the mark-sent never committed.
  await db.updateTable('outbox').set({ state: 'PENDING', sent_at: null }).where('id', '=', event.id).execute()
  t.ok(await eventually(async () => (await countRows(db, 'outbox', sql`state = 'PENDING'`)) === 0), 'sent again')
  t.equal((await jobIdsOf(dataPlatform, 'payment.completed')).length, jobsBefore, 'BullMQ kept one job')
  // With no job waiting, active or delayed, no delivery is left that could add a row: the count is final.
  const pending = async () => {
    const counts = await dataPlatform.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
    return Object.values(counts).reduce((sum, n) => sum + n, 0)
  }
  t.ok(await eventually(async () => (await pending()) === 0), 'the consumer has nothing left to deliver')
  t.equal(await countRows(db, 'sent_analytics'), rowsBefore, 'and the consumer one row')
})

t.test('the data-platform consumer records a payment once, however often it is delivered', async (t) => {
  const payment = {
    paymentId: 9001,
    reservationId: 9001,
    userId: 9,
    seatId: 9,
    concertOptionId: 9,
    amount: 1234,
    paidAt: new Date().toISOString(),
  }
  for (const eventId of ['900001', '900001', '900002']) await recordPaymentsSent(bookingDb, [{ payment, eventId }])
  t.equal(await countRows(db, 'sent_analytics', sql`payment_id = 9001`), 1)
  // A turn's deliveries, recorded together: the same ones again among them change nothing either.
  const other = { ...payment, paymentId: 9002, reservationId: 9002 }
  await recordPaymentsSent(bookingDb, [
    { payment, eventId: '900001' },
    { payment: other, eventId: '900003' },
    { payment: other, eventId: '900003' },
    { payment: other, eventId: '900004' },
  ])
  t.equal(await countRows(db, 'sent_analytics', sql`payment_id = 9001`), 1, 'the first payment still once')
  t.equal(await countRows(db, 'sent_analytics', sql`payment_id = 9002`), 1, 'the second once')
})

t.test('relays on several instances publish every event exactly once', async (t) => {
  const published = new Map<string, number>()
  const sink = {
    publishAll: (events: readonly PublishedEvent[]) =>
      Promise.allSettled(
        events.map(async ({ eventId }) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
          published.set(eventId, (published.get(eventId) ?? 0) + 1)
        }),
      ),
  }
  const own = await createTestDatabase(t)
  const ownBooking = contextDbs(own.db).booking
  await inTransaction(ownBooking, async (trx) => {
    for (let i = 1; i <= 300; i++) {
      await enqueueEvent(
        trx,
        'reservation.held',
        { reservationId: i, userId: i, seatId: i, concertOptionId: 1, expiresAt: new Date().toISOString() },
        new Date(),
      )
    }
  })
  const relays = Array.from(
    { length: 3 },
    () => new OutboxRelay({ db: ownBooking, sink, pollIntervalMs: 10, batchSize: 25, log: quietLog }),
  )
  await Promise.all(
    relays.map(async (relay) => {
      while ((await relay.relayOnce()).claimed > 0) {}
    }),
  )
  t.equal(published.size, 300, 'every event published')
  t.ok(
    [...published.values()].every((n) => n === 1),
    'none twice',
  )
  t.equal(await countRows(own.db, 'outbox', sql`state = 'SENT' and attempts = 1`), 300)
})

t.test('a failing sink: the event stays, with attempts, error and a growing delay', async (t) => {
  const own = await createTestDatabase(t)
  const ownBooking = contextDbs(own.db).booking
  await inTransaction(ownBooking, (trx) =>
    enqueueEvent(
      trx,
      'reservation.released',
      { reservationId: 1, userId: 1, seatId: 1, concertOptionId: 1, reason: 'EXPIRED' },
      new Date(),
    ),
  )
  const sink = { publishAll: () => Promise.reject(new Error('redis is away')) }
  const clock = new ManualClock()
  const relay = new OutboxRelay({ db: ownBooking, sink, pollIntervalMs: 10, log: quietLog, clock })
  t.same(await relay.relayOnce(), { claimed: 1, sent: 0, failed: 1 })
  const row = await own.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow()
  t.match(row, { state: 'PENDING', attempts: 1, last_error: 'redis is away' })
  const firstDelay = row.next_attempt_at.getTime() - clock.now()
  t.ok(firstDelay >= 187 && firstDelay <= 313, `first retry after 250 ms ± 25 % (${firstDelay} ms)`)
  clock.advance(firstDelay - 1)
  t.same(await relay.relayOnce(), { claimed: 0, sent: 0, failed: 0 }, 'not retried before its delay')
  clock.advance(1)
  t.same(await relay.relayOnce(), { claimed: 1, sent: 0, failed: 1 }, 'retried once it is due')
  const again = await own.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow()
  t.equal(again.attempts, 2)
  const secondDelay = again.next_attempt_at.getTime() - clock.now()
  t.ok(secondDelay >= 375 && secondDelay <= 625, `then after 500 ms ± 25 % (${secondDelay} ms)`)
})

t.test('sent events are kept for a bounded time, unsent ones until they are sent', async (t) => {
  const own = await createTestDatabase(t)
  const ownBooking = contextDbs(own.db).booking
  const now = new Date()
  await inTransaction(ownBooking, async (trx) => {
    for (let i = 0; i < 5; i++) {
      await enqueueEvent(
        trx,
        'reservation.released',
        { reservationId: i, userId: 1, seatId: 1, concertOptionId: 1, reason: 'EXPIRED' },
        now,
      )
    }
  })
  const ids = (await own.db.selectFrom('outbox').select('id').orderBy('id').execute()).map((r) => r.id)
  const old = new Date(now.getTime() - 48 * 3600 * 1000)
  await own.db.updateTable('outbox').set({ state: 'SENT', sent_at: old }).where('id', 'in', ids.slice(0, 3)).execute()
  await own.db
    .updateTable('outbox')
    .set({ state: 'SENT', sent_at: now })
    .where('id', '=', ids[3] as number)
    .execute()
  const removed = await pruneSentEvents(ownBooking, new Date(now.getTime() - 24 * 3600 * 1000), 2)
  t.equal(removed, 3, 'old sent events removed')
  t.same(
    (await own.db.selectFrom('outbox').select(['id', 'state']).orderBy('id').execute()).map((r) => r.state),
    ['SENT', 'PENDING'],
    'recent sent and unsent events kept',
  )
})

t.test("a relay batch goes to each subscriber's queue as one job per event, and again adds nothing", async (t) => {
  // A prefix of its own, with no consumers: the jobs stay where the publisher put them.
  const own = createTestRedisPrefix(t)
  const bus = { redisUrl: own.url, redisPrefix: own.prefix, log: quietLog }
  const publisher = new EventPublisher(bus)
  t.teardown(() => publisher.close())
  const paidAt = new Date().toISOString()
  const expiresAt = paidAt
  const events: PublishedEvent[] = Array.from({ length: 10 }, (_, i) =>
    i % 2
      ? {
          event: 'payment.completed',
          payload: { paymentId: i, reservationId: i, userId: i, seatId: i, concertOptionId: 1, amount: 1, paidAt },
          eventId: String(1000 + i),
        }
      : {
          event: 'reservation.held',
          payload: { reservationId: i, userId: i, seatId: i, concertOptionId: 1, expiresAt },
          eventId: String(1000 + i),
        },
  )
  const outcomes = await publisher.publishAll(events)
  t.ok(
    outcomes.every((o) => o.status === 'fulfilled'),
    'every event published',
  )
  await publisher.publishAll(events)
  const waiting = async (consumer: string) => {
    const queue = new Queue(`events-${consumer}`, {
      connection: { host: '127.0.0.1', port: Number(new URL(own.url).port || 6379) },
      prefix: bullPrefix(bus),
    })
    t.teardown(() => queue.close())
    return (await queue.getWaiting()).map((job) => `${job.name} ${job.id}`).sort()
  }
  const ids = (name: EventName) =>
    events
      .filter((e) => e.event === name)
      .map((e) => `${name} event-${e.eventId}`)
      .sort()
  t.same(
    await waiting('concert'),
    [...ids('payment.completed'), ...ids('reservation.held')].sort(),
    'concert: both events',
  )
  t.same(await waiting('queue'), ids('payment.completed'), 'queue: the payments only')
  t.same(await waiting('data-platform'), ids('payment.completed'), 'data platform: the payments only')
})
