import { seedDemoData } from '@stagepass/db'
import type { EventPublisher } from '@stagepass/events'
import {
  concurrently,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  seatIdsOf,
  startTcpProxy,
  tally,
} from '@stagepass/testkit'
import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'
import t from 'tap'
import { AvailabilityCache } from '../src/availability-cache.js'
import { reserveSeatRow, setReservationStatus, startConcertService, startPublisher } from './helpers.js'

const { db, config } = await createTestDatabase(t)
// Concerts 1-6 with two performances each (options 1-12, 10 seats each but option 1's 100).
await seedDemoData(db, { concerts: 6, optionsPerConcert: 2, seatsPerOption: 10 })

type Api = Awaited<ReturnType<typeof startConcertService>>['api']

const seatIdsListed = async (api: Api, option: number): Promise<number[]> => {
  const res = await api.get(`/concerts/${option}/available-seats`)
  if (res.status !== 200) throw new Error(`available-seats answered ${res.status}`)
  return res.body.data.seats.map((s: { seatId: number }) => s.seatId)
}

/** A seat's status on the seat map. */
const mapStatusOf = async (api: Api, option: number, seatId: number): Promise<string | undefined> => {
  const res = await api.get(`/concerts/${option}/seats`)
  return res.body.data.seats.find((s: { seatId: number }) => s.seatId === seatId)?.status
}

const freeSeatsOf = async (api: Api, concert: number, option: number): Promise<number> => {
  const res = await api.get(`/concerts/${concert}/available-dates`)
  return res.body.data.concerts.find((c: { concertOptionId: number }) => c.concertOptionId === option).availableSeats
}

/** When a hold lapses, as MySQL keeps it (what the service reads). */
async function lapseOf(reservationId: number): Promise<number> {
  const row = await db
    .selectFrom('reservation')
    .select(['expires_at'])
    .where('id', '=', reservationId)
    .executeTakeFirstOrThrow()
  return row.expires_at.getTime()
}

async function seatOf(seatId: number) {
  const seat = await db
    .selectFrom('seat')
    .select(['concert_option_id'])
    .where('id', '=', seatId)
    .executeTakeFirstOrThrow()
  return { seatId, concertOptionId: Number(seat.concert_option_id) }
}

/** Booking's events, as its outbox relay publishes them after the change commits. */
async function announce(
  publisher: EventPublisher,
  event: 'reservation.held' | 'reservation.released' | 'payment.completed',
  reservationId: number,
  seatId: number,
) {
  const { concertOptionId } = await seatOf(seatId)
  const common = { reservationId, userId: 1, seatId, concertOptionId }
  if (event === 'reservation.held') {
    await publisher.publish(
      event,
      { ...common, expiresAt: new Date(Date.now() + 300_000).toISOString() },
      `h${reservationId}`,
    )
  } else if (event === 'reservation.released') {
    await publisher.publish(event, { ...common, reason: 'EXPIRED' }, `r${reservationId}`)
  } else {
    const paidAt = new Date().toISOString()
    await publisher.publish(event, { ...common, paymentId: reservationId, amount: 1000, paidAt }, `p${reservationId}`)
  }
}

// A TTL far beyond the test: whatever refreshes the views here, it is not the TTL.
const eventsRedis = createTestRedisPrefix(t)
const events = await startConcertService(t, {
  mysql: config,
  redis: eventsRedis,
  seatCache: { enabled: true, ttlMs: 60_000 },
})
const publisher = startPublisher(t, eventsRedis)
const redisClient = new Redis(eventsRedis.url)
t.teardown(() => redisClient.disconnect())

/** Reads until the views of the option are cached (the service may still be connecting to Redis). */
async function cacheViews(api: Api, concert: number, option: number): Promise<boolean> {
  return eventually(async () => {
    await seatIdsListed(api, option)
    await mapStatusOf(api, option, 0)
    await freeSeatsOf(api, concert, option)
    const keys = [
      `${eventsRedis.prefix}concert:{seats:${option}}`,
      `${eventsRedis.prefix}concert:{seatmap:${option}}`,
      `${eventsRedis.prefix}concert:{dates:${concert}}`,
    ]
    return (await redisClient.exists(...keys)) === keys.length
  })
}

// The 1 s bound itself is checked below with the TTL alone; this test shows that the events alone
// keep the views fresh, whatever the TTL.
t.test('a hold, a sale and a release reach the seat list, the seat map and the dates by events alone', async (t) => {
  const { api } = events
  const [first, second] = await seatIdsOf(db, 3)
  t.equal((await seatIdsListed(api, 3)).length, 10)
  t.equal(await freeSeatsOf(api, 2, 3), 10)
  t.ok(await cacheViews(api, 2, 3), 'the views are cached')

  const held = await reserveSeatRow(db, first as number)
  t.ok((await seatIdsListed(api, 3)).includes(first as number), 'until the event arrives the cached view is served')
  t.equal(await mapStatusOf(api, 3, first as number), 'FREE', 'and the cached seat map')
  t.equal(await freeSeatsOf(api, 2, 3), 10)
  await announce(publisher, 'reservation.held', held, first as number)
  t.ok(
    await eventually(
      async () => !(await seatIdsListed(api, 3)).includes(first as number) && (await freeSeatsOf(api, 2, 3)) === 9,
    ),
    'the hold is shown after its event',
  )
  t.equal(await mapStatusOf(api, 3, first as number), 'HELD', 'the seat map shows it HELD')

  await setReservationStatus(db, held, 'PAID')
  await announce(publisher, 'payment.completed', held, first as number)
  const second_ = await reserveSeatRow(db, second as number)
  await announce(publisher, 'reservation.held', second_, second as number)
  t.ok(await eventually(async () => (await freeSeatsOf(api, 2, 3)) === 8), 'a sold seat and a new hold are both taken')
  t.ok(await eventually(async () => (await mapStatusOf(api, 3, first as number)) === 'SOLD'), 'the map shows it SOLD')

  await setReservationStatus(db, second_, 'CANCELLED')
  await announce(publisher, 'reservation.released', second_, second as number)
  t.ok(
    await eventually(
      async () => (await seatIdsListed(api, 3)).includes(second as number) && (await freeSeatsOf(api, 2, 3)) === 9,
    ),
    'the release is shown after its event',
  )
  t.notOk((await seatIdsListed(api, 3)).includes(first as number), 'the sold seat stays taken')
  t.equal(await mapStatusOf(api, 3, second as number), 'FREE', 'the released seat is FREE on the map')
  t.equal(await mapStatusOf(api, 3, first as number), 'SOLD', 'the sold one SOLD')
})

t.test('a hold that lapses frees its seat when it lapses, with no event and a long TTL', async (t) => {
  const { api } = events
  const [seat] = await seatIdsOf(db, 4)
  const reservationId = await reserveSeatRow(db, seat as number, { expiresInMs: 5000 })
  const lapsesAt = await lapseOf(reservationId)
  const announcedAt = Date.now()
  await announce(publisher, 'reservation.held', reservationId, seat as number)
  // A view with the hold, once Redis holds it (the service stores it after answering). It was read
  // after the announcement, so it may live until the lapse at most (PTTL -1 would be never).
  const key = `${eventsRedis.prefix}concert:{seats:4}`
  let livesFor = -2
  const held = await eventually(async () => {
    const listed = (await seatIdsListed(api, 4)).includes(seat as number)
    livesFor = await redisClient.pttl(key)
    return !listed && livesFor !== -2
  })
  t.ok(held, 'the held seat is off the cached list')
  t.ok(livesFor !== -1 && livesFor <= lapsesAt - announcedAt, `the held view ends by the lapse (PTTL ${livesFor})`)
  // With a 60 s TTL and no event, only the lapse can bring it back.
  t.ok(await eventually(async () => (await seatIdsListed(api, 4)).includes(seat as number)), 'listed again')
  t.equal(await freeSeatsOf(api, 2, 4), 10, 'and counted again')
})

t.test('under a stampede of reads and holds, once the events are handled every read agrees with MySQL', async (t) => {
  // The shipped settings: events and a 1 s TTL.
  const redis = createTestRedisPrefix(t)
  const { api } = await startConcertService(t, { mysql: config, redis })
  const relay = startPublisher(t, redis)
  const option = 1
  const seats = await seatIdsOf(db, option)
  const truth = JSON.stringify(seats.filter((_, i) => i % 3 === 0))
  const reads: Array<{ afterEvents: boolean; status: number; seatIds: number[] }> = []
  let eventsHandled = false
  let stop = false
  const readers = concurrently(200, async () => {
    while (!stop) {
      // Judged by when each read began: one that began after the last event was handled.
      const afterEvents = eventsHandled
      const res = await api.get(`/concerts/${option}/available-seats`)
      reads.push({
        afterEvents,
        status: res.status,
        seatIds: res.body?.data?.seats.map((s: { seatId: number }) => s.seatId),
      })
    }
  })
  await concurrently(seats.length, async (i) => {
    const reservationId = await reserveSeatRow(db, seats[i] as number)
    await announce(relay, 'reservation.held', reservationId, seats[i] as number)
    if (i % 3 === 0) {
      await setReservationStatus(db, reservationId, 'EXPIRED')
      await announce(relay, 'reservation.released', reservationId, seats[i] as number)
    }
  })
  // Every event is in; once the concert service has handled them all, no view older than the last
  // write can be cached (a read begun before an invalidation never stores its view).
  const announced = seats.length + Math.ceil(seats.length / 3)
  const handled = await eventually(async () => {
    const { completed, waiting, active, delayed } = (await relay.jobCounts()).concert ?? {}
    return completed === announced && waiting === 0 && active === 0 && delayed === 0
  }, 60_000)
  eventsHandled = true
  const later = await eventually(async () => reads.filter((r) => r.afterEvents).length >= 400, 60_000)
  stop = true
  await readers
  t.ok(handled, `the service handled all ${announced} events`)
  t.ok(later, 'reads went on after that')
  t.same(Object.keys(tally(reads.map((r) => r.status))), ['200'], `${reads.length} reads, all 200`)
  const late = reads.filter((r) => r.afterEvents)
  t.equal(
    late.filter((r) => JSON.stringify(r.seatIds) !== truth).length,
    0,
    `all ${late.length} reads begun after the events were handled match MySQL`,
  )
})

t.test('with no events at all, the TTL alone bounds staleness at 1 s', async (t) => {
  const redis = createTestRedisPrefix(t)
  const quiet = await startConcertService(t, {
    mysql: config,
    redis,
    seatCache: { enabled: true, ttlMs: 1000 },
    consumeEvents: false,
  })
  const [seat] = await seatIdsOf(db, 6)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const key = `${redis.prefix}concert:{seats:6}`
  const cached = await eventually(async () => {
    await seatIdsListed(quiet.api, 6)
    return (await client.exists(key)) === 1
  })
  t.ok(cached, 'the seat list is cached')
  // Redis drops the view when its PTTL runs out (-2: already gone; -1 would be never).
  const livesFor = await client.pttl(key)
  t.ok(livesFor !== -1 && livesFor <= 1000, `a cached view lives 1 s at most (PTTL ${livesFor})`)

  await reserveSeatRow(db, seat as number)
  // No event will come: only the end of the cached view can show the hold.
  t.ok(await eventually(async () => !(await seatIdsListed(quiet.api, 6)).includes(seat as number)), 'the hold shows')
})

t.test('with the cache switched off, every read is MySQL and Redis is untouched', async (t) => {
  const redis = createTestRedisPrefix(t)
  const uncached = await startConcertService(t, {
    mysql: config,
    redis,
    seatCache: { enabled: false, ttlMs: 1000 },
    consumeEvents: false,
  })
  const [seat] = await seatIdsOf(db, 7)
  t.ok((await seatIdsListed(uncached.api, 7)).includes(seat as number))
  await reserveSeatRow(db, seat as number)
  t.notOk((await seatIdsListed(uncached.api, 7)).includes(seat as number), 'the very next read shows the hold')
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  t.same(await client.keys(`${redis.prefix}*`), [])
})

t.test('with Redis down, availability is read from MySQL, and the cache resumes when it returns', async (t) => {
  const redis = createTestRedisPrefix(t)
  const base = new URL(redis.url)
  const proxy = await startTcpProxy(t, base.hostname, Number(base.port || 6379))
  const { api, ops } = await startConcertService(t, {
    mysql: config,
    redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: redis.prefix },
  })
  const [first, second] = await seatIdsOf(db, 8)
  t.equal((await seatIdsListed(api, 8)).length, 10)
  await proxy.disable()

  await reserveSeatRow(db, first as number)
  t.ok(await eventually(async () => !(await seatIdsListed(api, 8)).includes(first as number)), 'a hold shows')
  // Each read gives up on Redis by itself (its command timeout) and answers from MySQL.
  const answers: number[] = []
  for (let i = 0; i < 20; i++) {
    answers.push(
      (await api.get('/concerts/8/available-seats')).status,
      (await api.get('/concerts/4/available-dates')).status,
    )
  }
  t.same(tally(answers), { 200: 40 }, 'every read is answered')
  t.equal(await freeSeatsOf(api, 4, 8), 9, 'the dates come from MySQL too')
  t.equal((await ops.get('/health/ready')).status, 200, 'still ready: it can serve')

  await proxy.enable()
  await reserveSeatRow(db, second as number)
  t.ok(await eventually(async () => !(await seatIdsListed(api, 8)).includes(second as number)), 'a later hold shows')
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const cachedAgain = await eventually(async () => {
    await seatIdsListed(api, 8)
    return (await client.exists(`${redis.prefix}concert:{seats:8}`)) === 1
  })
  t.ok(cachedAgain, 'views are cached again once Redis is back')
})

t.test('a read that began before an invalidation does not store its view', async (t) => {
  const redis = createTestRedisPrefix(t)
  const silent = { warn() {}, info() {} } as unknown as FastifyBaseLogger
  const cache = new AvailabilityCache({
    enabled: true,
    ttlMs: 60_000,
    redis: { redisUrl: redis.url, redisPrefix: redis.prefix },
    log: silent,
  })
  t.teardown(() => cache.close())
  const loaded = (body: string) => async () => ({ body, nextLapseAt: undefined })
  // A read's store is not awaited, but it goes over the cache's one connection before the next
  // read's lookup does, and Redis answers them in order: the next read sees whatever was stored.
  let probe = 1000
  const connected = await eventually(async () => {
    probe++
    await cache.read('seats', probe, loaded('probe'))
    return String(await cache.read('seats', probe, loaded('not stored'))) === 'probe'
  })
  t.ok(connected, 'the cache stores and serves views')

  let loadStarted!: () => void
  const started = new Promise<void>((resolve) => {
    loadStarted = resolve
  })
  let finishLoad!: () => void
  const gate = new Promise<void>((resolve) => {
    finishLoad = resolve
  })
  const slow = cache.read('seats', 1, async () => {
    loadStarted()
    await gate
    return { body: 'before the hold', nextLapseAt: undefined }
  })
  await started
  await cache.invalidate([{ view: 'seats', id: 1 }])
  finishLoad()
  t.equal(await slow, 'before the hold', 'the slow reader still gets its answer')
  t.equal(
    String(await cache.read('seats', 1, loaded('after the hold'))),
    'after the hold',
    'its stale view was not stored',
  )
  t.equal(
    String(await cache.read('seats', 1, loaded('not read'))),
    'after the hold',
    'a read with no invalidation is stored',
  )
})
