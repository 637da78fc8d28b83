import { seedDemoData } from '@stagepass/db'
import type { EventPublisher } from '@stagepass/events'
import {
  concurrently,
  createTestDatabase,
  createTestRedisPrefix,
  seatIdsOf,
  sleep,
  startTcpProxy,
  tally,
  timeUntil,
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

const freeSeatsOf = async (api: Api, concert: number, option: number): Promise<number> => {
  const res = await api.get(`/concerts/${concert}/available-dates`)
  return res.body.data.concerts.find((c: { concertOptionId: number }) => c.concertOptionId === option).availableSeats
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

/** Reads until both views of the option are cached (the service may still be connecting to Redis). */
async function cacheViews(api: Api, concert: number, option: number): Promise<boolean> {
  const cached = await timeUntil(async () => {
    await seatIdsListed(api, option)
    await freeSeatsOf(api, concert, option)
    const keys = [`${eventsRedis.prefix}concert:{seats:${option}}`, `${eventsRedis.prefix}concert:{dates:${concert}}`]
    return (await redisClient.exists(...keys)) === 2
  }, 3000)
  return cached !== undefined
}

// The 1 s promise itself is checked below with the shipped settings (events and a 1 s TTL); this
// test shows that the events alone keep the views fresh, whatever the TTL.
t.test('a hold, a sale and a release reach the seat list and the dates by events alone', async (t) => {
  const { api } = events
  const [first, second] = await seatIdsOf(db, 3)
  t.equal((await seatIdsListed(api, 3)).length, 10)
  t.equal(await freeSeatsOf(api, 2, 3), 10)
  t.ok(await cacheViews(api, 2, 3), 'both views are cached')

  const held = await reserveSeatRow(db, first as number)
  t.ok((await seatIdsListed(api, 3)).includes(first as number), 'until the event arrives the cached view is served')
  t.equal(await freeSeatsOf(api, 2, 3), 10)
  await announce(publisher, 'reservation.held', held, first as number)
  const holdLag = await timeUntil(
    async () => !(await seatIdsListed(api, 3)).includes(first as number) && (await freeSeatsOf(api, 2, 3)) === 9,
    2000,
  )
  t.ok(holdLag !== undefined, `hold shown ${holdLag?.toFixed(0)} ms after the event`)

  await setReservationStatus(db, held, 'PAID')
  await announce(publisher, 'payment.completed', held, first as number)
  const second_ = await reserveSeatRow(db, second as number)
  await announce(publisher, 'reservation.held', second_, second as number)
  t.ok(
    await timeUntil(async () => (await freeSeatsOf(api, 2, 3)) === 8, 1000),
    'a sold seat and a new hold are both taken',
  )

  await setReservationStatus(db, second_, 'CANCELLED')
  const releasedAt = performance.now()
  await announce(publisher, 'reservation.released', second_, second as number)
  const releaseLag = await timeUntil(
    async () => (await seatIdsListed(api, 3)).includes(second as number) && (await freeSeatsOf(api, 2, 3)) === 9,
    2000,
  )
  t.ok(releaseLag !== undefined, `release shown ${(performance.now() - releasedAt).toFixed(0)} ms after it`)
  t.notOk((await seatIdsListed(api, 3)).includes(first as number), 'the sold seat stays taken')
})

t.test('a hold that lapses frees its seat when it lapses, with no event and a long TTL', async (t) => {
  const { api } = events
  const [seat] = await seatIdsOf(db, 4)
  const reservationId = await reserveSeatRow(db, seat as number, { expiresInMs: 1500 })
  const lapsesAt = performance.now() + 1500
  await announce(publisher, 'reservation.held', reservationId, seat as number)
  t.ok(await timeUntil(async () => !(await seatIdsListed(api, 4)).includes(seat as number), 1000), 'held')
  const back = await timeUntil(async () => (await seatIdsListed(api, 4)).includes(seat as number), 3000)
  t.ok(back !== undefined, 'the seat is listed again')
  const lateBy = performance.now() - lapsesAt
  t.ok(lateBy <= 1000, `listed again ${lateBy.toFixed(0)} ms after the hold lapsed`)
  t.equal(await freeSeatsOf(api, 2, 4), 10, 'and counted again')
})

t.test('under a stampede of reads and holds, the cache agrees with MySQL within 1 s', async (t) => {
  // The shipped settings: events and a 1 s TTL.
  const redis = createTestRedisPrefix(t)
  const { api } = await startConcertService(t, { mysql: config, redis })
  const relay = startPublisher(t, redis)
  const option = 1
  const seats = await seatIdsOf(db, option)
  const reads: Array<{ startedAt: number; status: number; seatIds: number[] }> = []
  let stopAt = Number.POSITIVE_INFINITY
  const readers = concurrently(200, async () => {
    while (performance.now() < stopAt) {
      const startedAt = performance.now()
      const res = await api.get(`/concerts/${option}/available-seats`)
      reads.push({
        startedAt,
        status: res.status,
        seatIds: res.body?.data?.seats.map((s: { seatId: number }) => s.seatId),
      })
    }
  })
  await concurrently(seats.length, async (i) => {
    await sleep(i * 10)
    const reservationId = await reserveSeatRow(db, seats[i] as number)
    await announce(relay, 'reservation.held', reservationId, seats[i] as number)
    if (i % 3 === 0) {
      await setReservationStatus(db, reservationId, 'EXPIRED')
      await announce(relay, 'reservation.released', reservationId, seats[i] as number)
    }
  })
  const lastWriteAt = performance.now()
  stopAt = lastWriteAt + 1500
  await readers
  const truth = JSON.stringify(seats.filter((_, i) => i % 3 === 0))
  t.same(Object.keys(tally(reads.map((r) => r.status))), ['200'], `${reads.length} reads, all 200`)
  // Judged by when each read began: any read that began over 1 s after the last write shows it.
  const late = reads.filter((r) => r.startedAt > lastWriteAt + 1000)
  t.ok(late.length > 0, `${late.length} reads began more than 1 s after the last write`)
  t.equal(late.filter((r) => JSON.stringify(r.seatIds) !== truth).length, 0, 'all of them match MySQL')
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
  const cached = await timeUntil(async () => {
    await seatIdsListed(quiet.api, 6)
    return (await client.exists(`${redis.prefix}concert:{seats:6}`)) === 1
  }, 3000)
  t.ok(cached !== undefined, 'the seat list is cached')

  await reserveSeatRow(db, seat as number)
  const heldAt = performance.now()
  // Each read is judged by when it began: one that began over 1 s after the hold must show it.
  const reads: Array<{ startedMs: number; listed: boolean }> = []
  while (performance.now() - heldAt < 1600) {
    const startedMs = performance.now() - heldAt
    reads.push({ startedMs, listed: (await seatIdsListed(quiet.api, 6)).includes(seat as number) })
  }
  const late = reads.filter((r) => r.startedMs > 1000)
  t.ok(late.length > 0, `${late.length} reads began more than 1 s after the hold`)
  t.same(
    late.filter((r) => r.listed).map((r) => Math.round(r.startedMs)),
    [],
    'none of them lists the held seat',
  )
  t.ok(reads[0]?.listed, 'right after the hold the cached list was served')
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
  const heldAt = performance.now()
  const shown = await timeUntil(async () => !(await seatIdsListed(api, 8)).includes(first as number), 3000)
  t.ok(shown !== undefined && performance.now() - heldAt <= 1100, 'a hold shows within 1 s')
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const seats = await api.get('/concerts/8/available-seats')
    const dates = await api.get('/concerts/4/available-dates')
    const ms = performance.now() - started
    if (seats.status !== 200 || dates.status !== 200 || ms > 1000) {
      t.fail(`read ${i}: ${seats.status}/${dates.status} in ${ms.toFixed(0)} ms`)
      break
    }
  }
  t.equal(await freeSeatsOf(api, 4, 8), 9, 'the dates come from MySQL too')
  t.equal((await ops.get('/health/ready')).status, 200, 'still ready: it can serve')

  await proxy.enable()
  await reserveSeatRow(db, second as number)
  t.ok(await timeUntil(async () => !(await seatIdsListed(api, 8)).includes(second as number), 3000))
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const cachedAgain = await timeUntil(async () => {
    await seatIdsListed(api, 8)
    return (await client.exists(`${redis.prefix}concert:{seats:8}`)) === 1
  }, 5000)
  t.ok(cachedAgain !== undefined, 'views are cached again once Redis is back')
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
  let probe = 1000
  const connected = await timeUntil(async () => {
    probe++
    await cache.read('seats', probe, loaded('probe'))
    await sleep(20)
    return (await cache.read('seats', probe, loaded('not stored'))) === 'probe'
  }, 2000)
  t.ok(connected !== undefined, 'the cache stores and serves views')

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
  await sleep(100)
  t.equal(await cache.read('seats', 1, loaded('after the hold')), 'after the hold', 'its stale view was not stored')
  await sleep(100)
  t.equal(await cache.read('seats', 1, loaded('not read')), 'after the hold', 'a read with no invalidation is stored')
})
