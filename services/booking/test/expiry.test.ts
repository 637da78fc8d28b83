import { contextDbs } from '@stagepass/db'
import { createTestDatabase, createTestRedisPrefix, eventually, startTcpProxy } from '@stagepass/testkit'
import t from 'tap'
import { expireHold, sweepLapsedHolds } from '../src/holds.js'
import { addPerformance, forgetTakenSeats, lapseHold, noPoints, outboxEvents, startBooking } from './helpers/booking.js'

const database = await createTestDatabase(t)
const { db } = database
/** The handle booking's code queries through. */
const bookingDb = contextDbs(db).booking
const redis = createTestRedisPrefix(t)
const { url: redisUrl } = redis

const statusOf = async (id: number) =>
  (await db.selectFrom('reservation').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
const releasedEvents = async (id: number) =>
  (await outboxEvents(db, 'reservation.released')).filter((e) => e.payload.reservationId === id)

async function expiriesBy(api: { get(path: string): Promise<{ body: string }> }, trigger: string) {
  const text = (await api.get('/metrics')).body
  const match = text.match(new RegExp(`booking_hold_expiries_total\\{trigger="${trigger}"\\} (\\d+)`))
  return match ? Number(match[1]) : 0
}

t.test(
  "a hold lapses exactly at its expiry by booking's clock: held a millisecond before, free from then",
  async (t) => {
    const booking = await startBooking(t, {
      mysql: database.config,
      redis,
      points: noPoints,
      workers: false,
      stopped: true,
    })
    const { clock } = booking
    const { seatIds } = await addPerformance(db, { seats: 3 })
    const [first, second, third] = seatIds as [number, number, number]
    const holds: number[] = []
    for (const [i, seatId] of [first, second, third].entries()) {
      const res = await booking.as(11 + i).reserve({ seatId })
      t.equal(res.status, 200)
      holds.push(res.body.data.reservationId)
    }
    const [viewed, byJob, bySweep] = holds as [number, number, number]
    const expiresAt = clock.now() + 300_000
    const view = async () => (await booking.as(11).reservation(viewed)).body.data
    t.equal(Date.parse((await view()).reservationExpireTime), expiresAt, 'set by the same clock: now + the hold time')

    clock.set(expiresAt - 1)
    t.equal((await view()).status, 'PENDING', 'expiry - 1 ms: the owner sees it held')
    t.equal((await booking.as(20).reserve({ seatId: first })).status, 409, 'expiry - 1 ms: nobody else gets the seat')
    const early = await expireHold(bookingDb, byJob, new Date(clock.now()))
    t.same(early, { released: undefined, notBefore: new Date(expiresAt) }, 'expiry - 1 ms: a job looks again at expiry')
    t.same(await sweepLapsedHolds(bookingDb, new Date(clock.now())), [], 'expiry - 1 ms: the sweep finds nothing')

    clock.set(expiresAt)
    t.equal((await view()).status, 'EXPIRED', 'expiry: the owner sees it lapsed')
    t.equal((await booking.as(20).reserve({ seatId: first })).status, 200, 'expiry: the seat goes to the next user')
    t.equal(
      (await expireHold(bookingDb, byJob, new Date(clock.now()))).released?.id,
      byJob,
      'expiry: the job releases it',
    )

    clock.set(expiresAt + 1)
    const swept = await sweepLapsedHolds(bookingDb, new Date(clock.now()))
    t.same(
      swept.map((h) => h.id),
      [bySweep],
      'expiry + 1 ms: the sweep releases the one left',
    )
    t.same(await Promise.all(holds.map(statusOf)), ['EXPIRED', 'EXPIRED', 'EXPIRED'])
    await booking.close()
  },
)

t.test('a hold lapses on time: its delayed job releases it and publishes the release', async (t) => {
  // Short holds; the sweep is far off, so only the per-hold job can release this one in time.
  const booking = await startBooking(t, {
    mysql: database.config,
    redis,
    points: noPoints,
    settings: { HOLD_TTL_SECONDS: 1, HOLD_SWEEP_INTERVAL_MS: 600_000 },
  })
  const { seatIds } = await addPerformance(db, { seats: 1 })
  const seatId = seatIds[0] as number
  const jobsBefore = await expiriesBy(booking.ops, 'job')
  const hold = await booking.as(1).reserve({ seatId })
  const reservationId = hold.body.data.reservationId as number
  t.equal(await statusOf(reservationId), 'PENDING')
  t.ok(await eventually(async () => (await statusOf(reservationId)) === 'EXPIRED', 4000), 'expired by its job')
  t.ok(Date.now() >= Date.parse(hold.body.data.reservationExpireTime), 'not before its time')
  // The job counts its release once the release has committed: await the count, do not race it.
  t.ok(
    await eventually(async () => (await expiriesBy(booking.ops, 'job')) === jobsBefore + 1),
    'counted as released by its job',
  )
  t.ok(
    await eventually(async () => (await releasedEvents(reservationId)).some((e) => e.state === 'SENT')),
    'the release event is published',
  )
  t.equal((await releasedEvents(reservationId)).length, 1)
  t.equal((await booking.as(2).reserve({ seatId })).status, 200, 'the seat is free')
  await booking.close()
})

t.test('with Redis down no job can be scheduled: the periodic sweep releases the hold', async (t) => {
  const proxy = await startTcpProxy(t, '127.0.0.1', Number(new URL(redisUrl).port || 6379))
  const booking = await startBooking(t, {
    mysql: database.config,
    redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: redis.prefix },
    points: noPoints,
    settings: { HOLD_TTL_SECONDS: 1, HOLD_SWEEP_INTERVAL_MS: 300 },
    logLevel: 'fatal',
  })
  await proxy.disable()
  const { seatIds } = await addPerformance(db, { seats: 1 })
  const sweepsBefore = await expiriesBy(booking.ops, 'sweep')
  const hold = await booking.as(3).reserve({ seatId: seatIds[0] })
  t.equal(hold.status, 200, 'holding a seat does not need Redis')
  const reservationId = hold.body.data.reservationId as number
  t.ok(await eventually(async () => (await statusOf(reservationId)) === 'EXPIRED', 5000), 'expired by the sweep')
  t.ok(await eventually(async () => (await expiriesBy(booking.ops, 'sweep')) > sweepsBefore), 'counted as swept')
  t.equal((await releasedEvents(reservationId)).length, 1)
  await proxy.enable()
  await booking.close()
})

t.test('job, sweep and reserve may all see the same lapsed hold: it is released once', async (t) => {
  const booking = await startBooking(t, { mysql: database.config, redis, points: noPoints, workers: false })
  const { seatIds } = await addPerformance(db, { seats: 1 })
  const seatId = seatIds[0] as number
  const hold = await booking.as(4).reserve({ seatId })
  const reservationId = hold.body.data.reservationId as number

  const early = await expireHold(bookingDb, reservationId)
  t.equal(early.released, undefined, 'a job that runs early changes nothing')
  t.ok(early.notBefore && early.notBefore.getTime() > Date.now(), 'and says when to look again')
  t.equal(await statusOf(reservationId), 'PENDING')

  await lapseHold(db, reservationId)
  forgetTakenSeats(booking)
  const [job, sweep, reserve] = await Promise.all([
    expireHold(bookingDb, reservationId),
    sweepLapsedHolds(bookingDb),
    booking.as(5).reserve({ seatId }),
  ])
  t.equal(reserve.status, 200, 'the seat goes to the next user')
  const releases = (job.released ? 1 : 0) + sweep.filter((h) => h.id === reservationId).length
  t.ok(releases <= 1, 'job and sweep do not both release it')
  t.equal((await releasedEvents(reservationId)).length, 1, 'one release event in all')
  t.same(await expireHold(bookingDb, reservationId), { released: undefined }, 'a late job is a no-op')
  await booking.close()
})
