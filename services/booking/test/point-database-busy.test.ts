import { createTestDatabase, createTestRedisPrefix, lockWallet } from '@stagepass/testkit'
import t from 'tap'
import { addPerformance, startBooking, startPointService } from './helpers/booking.js'

/**
 * Split mode: point's database is busy behind booking's payment. The payer gets what the monolith
 * answers in the same case, 503 DATABASE_BUSY with Retry-After (not "point unavailable"), nothing is
 * taken, and paying again once the database is free takes the price once.
 */
const database = await createTestDatabase(t)
const { db } = database
const redis = createTestRedisPrefix(t)
// A lock wait gives up after a second, as a saturated database's statements do.
const point = await startPointService(t, database.config, { MYSQL_STATEMENT_TIMEOUT_MS: '1000' })
const booking = await startBooking(t, { mysql: database.config, redis, points: point.client(), workers: false })
const PRICE = 50_000

t.test("point's busy database reaches the payer as DATABASE_BUSY, and a retry pays once", async (t) => {
  const userId = 7101
  await point.charge(userId, 80_000)
  const { seatIds } = await addPerformance(db, { seats: 1, price: PRICE })
  const hold = await booking.as(userId).reserve({ seatId: seatIds[0] })
  t.equal(hold.status, 200)
  const { reservationId } = hold.body.data

  const unlock = await lockWallet(db, userId)
  const busy = await booking.as(userId).pay({ reservationId })
  await unlock()
  t.equal(busy.status, 503)
  t.equal(busy.body.code, 'DATABASE_BUSY', 'the same answer the monolith gives')
  t.equal(busy.headers['retry-after'], '1', 'with when to try again')
  t.equal(await point.balance(userId), 80_000, 'nothing taken')

  const paid = await booking.as(userId).pay({ reservationId })
  t.equal(paid.status, 200, 'paying again once the database is free succeeds')
  t.equal(await point.balance(userId), 80_000 - PRICE, 'the price is taken once')
})
