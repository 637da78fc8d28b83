import { contextDbs, createDb, isDuplicateKey } from '@stagepass/db'
import { addPerformance, countRows, createTestDatabase, sessionCount, tally } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { SEAT_REFUSED } from '../src/errors.js'
import { type HoldBatches, holdBatches } from '../src/hold-batches.js'
import { holdSeat } from '../src/holds.js'
import { outboxEvents } from './helpers/booking.js'

// The holds decided in one turn of the event loop share one read and one transaction. On a pool of
// one connection, so the connection's own counters tell how many transactions were committed.
const database = await createTestDatabase(t)
const single = createDb({ ...database.config, MYSQL_POOL_SIZE: 1 })
t.teardown(() => single.destroy())
const booking = contextDbs(single).booking
const settings = { holdTtlSeconds: 300, maxHoldsPerUserPerOption: 2 }

/** A hold these tests expect to be made: a seat refused fails the test. */
async function mustHold(batches: HoldBatches, userId: number, seatId: number, holdSettings = settings) {
  const outcome = await holdSeat(booking, batches, { userId, seatId }, holdSettings)
  if (outcome === SEAT_REFUSED) throw new Error(`seat ${seatId} refused`)
  return outcome
}

const commitsSoFar = () => sessionCount(single, 'Com_commit')

const liveHolds = (concertOptionId: number) =>
  countRows(database.db, 'reservation', sql`concert_option_id = ${concertOptionId} and status = 'PENDING'`)

t.test('100 holds asked for at once are one transaction, each with its own reservation and event', async (t) => {
  const { concertOptionId, seatIds } = await addPerformance(database.db, { seats: 100 })
  const batches = holdBatches(booking)
  const before = await commitsSoFar()
  const holds = await Promise.all(seatIds.map((seatId, i) => mustHold(batches, 1000 + i, seatId)))
  t.equal((await commitsSoFar()) - before, 1, 'one commit for all of them')
  t.equal(await liveHolds(concertOptionId), 100)
  const ids = holds.map(({ hold }) => hold.reservationId)
  t.equal(new Set(ids).size, 100, 'each caller is told its own reservation')
  const rows = await database.db
    .selectFrom('reservation')
    .select(['id', 'user_id', 'seat_id'])
    .where('id', 'in', ids)
    .execute()
  const byId = new Map(rows.map((row) => [row.id, row]))
  t.ok(
    holds.every(({ hold }) => {
      const row = byId.get(hold.reservationId)
      return row?.seat_id === hold.seatId && row.user_id === hold.userId
    }),
    "every answer names the caller's own seat and user",
  )
  const events = (await outboxEvents(database.db, 'reservation.held')).filter(
    (e) => e.payload.concertOptionId === concertOptionId,
  )
  t.equal(events.length, 100, 'one event per hold')
  t.ok(
    events.every((e) => byId.get(e.payload.reservationId as number)?.seat_id === e.payload.seatId),
    'each event names its own reservation and seat',
  )
})

t.test('one user holding several seats at once is given different slots, up to the cap', async (t) => {
  const { concertOptionId, seatIds } = await addPerformance(database.db, { seats: 3 })
  const batches = holdBatches(booking)
  const outcomes = await Promise.allSettled(seatIds.map((seatId) => mustHold(batches, 77, seatId)))
  t.same(
    tally(outcomes.map((o) => (o.status === 'fulfilled' ? 'held' : String((o.reason as { code?: string }).code)))),
    { held: 2, HOLD_LIMIT_REACHED: 1 },
    'two holds (the cap), the third refused for the cap',
  )
  t.equal(await liveHolds(concertOptionId), 2)
})

t.test('one user holding as many seats as the cap at once: all held, in one commit', async (t) => {
  const cap = 4
  const { concertOptionId, seatIds } = await addPerformance(database.db, { seats: cap })
  const batches = holdBatches(booking)
  const before = await commitsSoFar()
  // Each hold's free slots come in a random order: only the batch giving each a different one keeps
  // them from colliding on the user's slot key and going again one by one.
  const holds = await Promise.all(
    seatIds.map((seatId) => mustHold(batches, 78, seatId, { ...settings, maxHoldsPerUserPerOption: cap })),
  )
  t.equal((await commitsSoFar()) - before, 1, 'one commit, no hold sent on alone')
  t.equal(holds.length, cap)
  const slots = await database.db
    .selectFrom('reservation')
    .select('hold_slot')
    .where('concert_option_id', '=', concertOptionId)
    .where('user_id', '=', 78)
    .execute()
  t.same(slots.map((row) => row.hold_slot).sort(), [1, 2, 3, 4], 'each hold in a slot of its own')
})

t.test("a seat taken since the read fails alone: the batch's other holds are kept", async (t) => {
  const { concertOptionId, seatIds } = await addPerformance(database.db, { seats: 10 })
  const batches = holdBatches(booking)
  const taken = seatIds[4] as number
  // Another booking process's hold, committed after this one's read found the seat free.
  await database.db
    .insertInto('reservation')
    .values({
      user_id: 1,
      seat_id: taken,
      concert_option_id: concertOptionId,
      price: 100,
      hold_slot: 1,
      expires_at: new Date(Date.now() + 300_000),
      created_at: new Date(),
    })
    .execute()
  const now = new Date()
  const expiresAt = new Date(now.getTime() + 300_000)
  const outcomes = await Promise.allSettled(
    seatIds.map((seatId, i) =>
      batches.writeHold({
        hold: { reservationId: 0, userId: 500 + i, seatId, seatNo: i + 1, concertOptionId, price: 100, expiresAt },
        freeSlots: [1],
        now,
      }),
    ),
  )
  const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ seatId: seatIds[i], err: o.reason }] : []))
  t.equal(refused.length, 1, 'one hold refused')
  t.equal(refused[0]?.seatId, taken, 'the one whose seat was taken')
  t.ok(isDuplicateKey(refused[0]?.err, 'reservation_active_seat_id'), 'for the seat’s key')
  t.equal(await liveHolds(concertOptionId), 10, 'the nine others held, and the other process’s hold')
  const events = (await outboxEvents(database.db, 'reservation.held')).filter(
    (e) => e.payload.concertOptionId === concertOptionId,
  )
  t.same(
    events.map((e) => e.payload.seatId).sort(),
    seatIds.filter((id) => id !== taken).sort(),
    'an event for each of the nine, none for the refused',
  )
})

t.test('the seats of one turn are read by one query, each answer its own', async (t) => {
  const { seatIds } = await addPerformance(database.db, { seats: 5 })
  const batches = holdBatches(booking)
  const readAt = new Date()
  const before = await sessionCount(single, 'Com_select')
  const found = await Promise.all([
    ...seatIds.map((seatId) => batches.readSeat({ seatId, userId: 1, readAt })),
    batches.readSeat({ seatId: 999_999_999, userId: 1, readAt }),
  ])
  t.equal((await sessionCount(single, 'Com_select')) - before, 1, 'one query')
  t.same(
    found.slice(0, -1).map((seat) => seat?.id),
    seatIds,
    'each read answered with its own seat',
  )
  t.equal(found.at(-1), undefined, 'a seat that does not exist: no seat')
})

t.test('each read of one query is answered for its own user and its own time', async (t) => {
  const { seatIds } = await addPerformance(database.db, { seats: 4 })
  const [heldSeat, a, b, c] = seatIds as [number, number, number, number]
  const batches = holdBatches(booking)
  const { hold: held } = await mustHold(batches, 501, heldSeat)
  const { hold_slot: slot, expires_at: expiresAt } = await database.db
    .selectFrom('reservation')
    .select(['hold_slot', 'expires_at'])
    .where('id', '=', held.reservationId)
    .executeTakeFirstOrThrow()
  const now = new Date()
  const afterExpiry = new Date(expiresAt.getTime() + 1000)
  const before = await sessionCount(single, 'Com_select')
  const [mine, someoneElse, mineLapsed, theHeldSeat] = await Promise.all([
    batches.readSeat({ seatId: a, userId: 501, readAt: now }),
    batches.readSeat({ seatId: b, userId: 502, readAt: now }),
    batches.readSeat({ seatId: c, userId: 501, readAt: afterExpiry }),
    batches.readSeat({ seatId: heldSeat, userId: 502, readAt: now }),
  ])
  t.equal((await sessionCount(single, 'Com_select')) - before, 1, 'one query')
  t.match(mine, { id: a, holder_id: null, user_live_slots: String(slot) }, "user 501's live hold, read now")
  t.equal(Number(mine?.user_lapsed_holds), 0)
  t.match(someoneElse, { id: b, holder_id: null, user_live_slots: null }, 'user 502 holds nothing')
  t.equal(Number(someoneElse?.user_lapsed_holds), 0)
  t.match(mineLapsed, { id: c, user_live_slots: null }, "user 501's hold, read after it lapsed")
  t.equal(Number(mineLapsed?.user_lapsed_holds), 1)
  t.match(theHeldSeat, { id: heldSeat, holder_id: held.reservationId, holder_user_id: 501, user_live_slots: null })
})
