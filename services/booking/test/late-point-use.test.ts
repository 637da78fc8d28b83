import { createServiceAssertionSigner, DEVELOPMENT_BOOKING_ASSERTION_KEYS, parseAssertionKeys } from '@stagepass/kit'
import { createTestDatabase, createTestRedisPrefix, eventually, startTcpProxy } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { createHttpPointClient } from '../src/points.js'
import { addPerformance, startBooking, startPointService } from './helpers/booking.js'

const database = await createTestDatabase(t)
const { db } = database
const redis = createTestRedisPrefix(t)
const point = await startPointService(t, database.config)
const PRICE = 40_000

// Between booking and point, a proxy that can hold point's `use` calls while refunds pass.
const pointUrl = new URL(point.url)
const proxy = await startTcpProxy(t, pointUrl.hostname, Number(pointUrl.port))
const points = createHttpPointClient([`http://127.0.0.1:${proxy.port}`], {
  // Booking's own signature, long-lived here so the late use passes point's assertion check and
  // meets the ledger: what is under test is the void, not the assertion's expiry.
  signer: createServiceAssertionSigner({
    caller: 'booking',
    keys: parseAssertionKeys(process.env.BOOKING_ASSERTION_KEYS || DEVELOPMENT_BOOKING_ASSERTION_KEYS),
    ttlSeconds: 600,
  }),
  // Booking gives up on point after this long (5 s by default)…
  timeoutMs: 300,
})
t.teardown(() => points.close?.())
// …holds last a second, and the reconciler settles payments unfinished for a second (30 s by default).
const booking = await startBooking(t, {
  mysql: database.config,
  redis,
  points,
  settings: {
    HOLD_TTL_SECONDS: 1,
    HOLD_SWEEP_INTERVAL_MS: 200,
    PAYMENT_RECONCILE_AFTER_SECONDS: 1,
    PAYMENT_RECONCILE_INTERVAL_MS: 200,
  },
  logLevel: 'fatal',
})

const paymentOf = (reservationId: number) =>
  db.selectFrom('payment').selectAll().where('reservation_id', '=', reservationId).executeTakeFirst()

async function lateUsesRefused(): Promise<number> {
  const text = await (await fetch(`${point.opsUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('points_refusals_total{code="REFERENCE_VOIDED"}'))
  return line ? Number(line.split(' ')[1]) : 0
}

t.test(
  'a point use that lands after booking gave up and the reconciler voided the payment takes nothing',
  async (t) => {
    const userId = 7001
    await point.charge(userId, PRICE)
    const { seatIds } = await addPerformance(db, { seats: 1, price: PRICE })
    const hold = await booking.as(userId).reserve({ seatId: seatIds[0] })
    t.equal(hold.status, 200)
    const reservationId = hold.body.data.reservationId as number

    proxy.hold((chunk) => chunk.includes('/internal/points/use'))
    const paid = await booking.as(userId).pay({ reservationId })
    t.equal(paid.status, 503, 'booking gave up waiting for point')
    t.equal(paid.body.code, 'UPSTREAM_UNAVAILABLE')

    t.ok(
      await eventually(async () => (await paymentOf(reservationId))?.status === 'VOIDED', 15_000),
      'the hold lapsed and the reconciler voided the payment: point had seen no use',
    )
    t.ok(proxy.heldBytes > 0, 'the use is still on its way to point')
    proxy.release()

    const usesLanded = () =>
      db
        .selectFrom('point_history')
        .select('id')
        .where('reference', '=', `reservation:${reservationId}`)
        .where('type', '=', 'USE')
        .execute()
    t.ok(
      await eventually(async () => (await lateUsesRefused()) > 0 || (await usesLanded()).length > 0, 10_000),
      'point handled the late use',
    )
    t.same(await usesLanded(), [], 'the late use was refused: the reference is void')
    t.equal(await point.balance(userId), PRICE, 'the points are all there')
    t.equal((await paymentOf(reservationId))?.status, 'VOIDED')

    // The balance is the charges less the payments that completed, and the history adds up to it.
    const { rows } = await sql<{ charged: string; used: string; refunded: string }>`
    select coalesce(sum(case when type = 'CHARGE' then amount end), 0) as charged,
           coalesce(sum(case when type = 'USE' then amount end), 0) as used,
           coalesce(sum(case when type = 'REFUND' then amount end), 0) as refunded
    from point_history where user_id = ${userId}`.execute(db)
    const completed = await db
      .selectFrom('payment')
      .select(sql<string>`coalesce(sum(amount), 0)`.as('total'))
      .where('user_id', '=', userId)
      .where('status', '=', 'COMPLETED')
      .executeTakeFirstOrThrow()
    const history = rows[0] as { charged: string; used: string; refunded: string }
    const balance = await point.balance(userId)
    t.equal(balance, Number(history.charged) - Number(completed.total), 'balance = charges - completed payments')
    t.equal(balance, Number(history.charged) - Number(history.used) + Number(history.refunded), 'no point lost or made')
  },
)
