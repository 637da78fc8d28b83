import { contextDbs, createDb, inOneRoundTrip, inTwoScripts, isDuplicateKey } from '@stagepass/db'
import { addPerformance, countRows, createTestDatabase } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { eventOfLastInsert } from '../src/outbox.js'

// The transaction helpers holds, payments and point's uses are written with, on a real MySQL: a pool of one
// connection, so what a failed script leaves on its connection is what the next caller gets.
const database = await createTestDatabase(t)
const single = createDb({ ...database.config, MYSQL_POOL_SIZE: 1 })
t.teardown(() => single.destroy())
const booking = contextDbs(single).booking
const { concertOptionId, seatIds } = await addPerformance(database.db, { seats: 4 })
const [first, second, third, fourth] = seatIds as [number, number, number, number]

const rowFor = (seatId: number, userId: number) => ({
  user_id: userId,
  seat_id: seatId,
  concert_option_id: concertOptionId,
  price: 100,
  hold_slot: 1,
  expires_at: new Date(Date.now() + 300_000),
  created_at: new Date(),
})
const hold = (seatId: number, userId: number) =>
  booking.insertInto('reservation').values(rowFor(seatId, userId)).compile()
const heldEvent = (seatId: number, userId: number) =>
  eventOfLastInsert(
    booking,
    'reservation.held',
    { reservationId: 0, userId, seatId, concertOptionId, expiresAt: new Date().toISOString() },
    'reservationId',
    new Date(),
  )

t.test('the statements commit together, and a later one takes an earlier one’s generated id', async (t) => {
  const answers = await inOneRoundTrip(booking, [hold(first, 1), heldEvent(first, 1)])
  t.equal(answers.length, 2, 'one answer per statement')
  const reservation = await database.db
    .selectFrom('reservation')
    .select('id')
    .where('seat_id', '=', first)
    .executeTakeFirstOrThrow()
  t.equal(answers[0]?.insertId, reservation.id, "the first answer carries the reservation's id")
  t.equal(answers[0]?.affectedRows, 1)
  const event = await database.db.selectFrom('outbox').select('payload').executeTakeFirstOrThrow()
  const payload = typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload
  t.match(payload, { reservationId: reservation.id, userId: 1, seatId: first, concertOptionId }, 'the event names it')
})

t.test('a statement that fails leaves nothing written, and the connection outside any transaction', async (t) => {
  const before = {
    reservations: await countRows(database.db, 'reservation'),
    events: await countRows(database.db, 'outbox'),
  }
  // The second seat's hold is written, then the first seat's second live hold fails on the unique key.
  const failed = await inOneRoundTrip(booking, [
    hold(second, 2),
    heldEvent(second, 2),
    hold(first, 3),
    heldEvent(first, 3),
  ]).then(
    () => undefined,
    (err: unknown) => err,
  )
  t.ok(isDuplicateKey(failed, 'reservation_active_seat_id'), 'the duplicate key is what is thrown')
  t.same(
    { reservations: await countRows(database.db, 'reservation'), events: await countRows(database.db, 'outbox') },
    before,
    'neither the statements before it nor after it are kept',
  )
  // The pool's one connection is the script's: a plain write on it must commit by itself, seen by others.
  await booking.insertInto('reservation').values(rowFor(third, 4)).execute()
  t.equal(
    await countRows(database.db, 'reservation', sql`seat_id = ${third}`),
    1,
    'its next write is not held in a transaction left open',
  )
})

t.test('decided in two round trips: the first answers, a read among them, decide the second script', async (t) => {
  const heldOn = (seatId: number) =>
    sql`select count(*) as n from reservation where seat_id = ${seatId}`.compile(single)
  const seen: unknown[] = []
  const refused = await inTwoScripts(booking, [hold(fourth, 5), heldOn(fourth)], (answers) => {
    seen.push(...answers)
    throw new Error('the caller refuses')
  }).then(
    () => undefined,
    (err: Error) => err.message,
  )
  t.equal(refused, 'the caller refuses', "the caller's error is thrown")
  t.match(seen, [{ affectedRows: 1 }, [{ n: 1 }]], 'the caller saw the write and, inside the transaction, its row')
  t.equal(await countRows(database.db, 'reservation', sql`seat_id = ${fourth}`), 0, 'refused: rolled back')

  const written = await inTwoScripts(booking, [hold(fourth, 6)], (answers) => {
    const { insertId } = answers[0] as { insertId: number }
    return {
      statements: [sql`update reservation set hold_slot = 2 where id = ${insertId}`.compile(single)],
      settle: (then) => [insertId, (then[0] as { affectedRows: number }).affectedRows],
    }
  })
  t.equal(written[1], 1, 'the second script, written from the first answers, ran in the same transaction')
  // Read on another connection: what was committed.
  const fourthHold = () =>
    database.db.selectFrom('reservation').select(['id', 'hold_slot']).where('seat_id', '=', fourth).executeTakeFirst()
  const row = await fourthHold()
  t.same([row?.id, row?.hold_slot], [written[0], 2], 'both committed')

  const alone = await inTwoScripts(booking, [heldOn(fourth)], () => ({ statements: [], settle: () => 'nothing more' }))
  t.equal(alone, 'nothing more', 'with no second statements, the commit alone')
  // The pool's one connection again: a plain write on it is seen by another connection at once.
  await booking.updateTable('reservation').set({ hold_slot: 3 }).where('seat_id', '=', fourth).execute()
  t.equal((await fourthHold())?.hold_slot, 3, 'and no transaction left open')
})
