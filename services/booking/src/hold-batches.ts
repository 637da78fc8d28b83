import { type BookingDb, inOneRoundTrip, isDuplicateKey, type ReservationStatus } from '@stagepass/db'
import { type BatchAnswer, batchPerTurn } from '@stagepass/kit'
import { CompiledQuery, sql } from 'kysely'
import { type Hold, heldEvent, newHold } from './hold-rows.js'
import { eventOfLastInsert } from './outbox.js'

/*
 * The two round trips of a winning hold, shared by the holds decided in one turn of the event loop.
 * When a sale opens, a hundred seats are won within the first wave of a thousand requests; one
 * round trip each meant a hundred reads and then a hundred transactions queued on the pool, each
 * answer waiting for a turn of an event loop busy with the crowd (docs/performance.md). Batched,
 * the winners wait for one read and one transaction.
 */

/** Seats (with their holders, and the user's holds in the performance) per read. */
const MAX_READS = 200
/** Holds per transaction. */
const MAX_HOLDS = 100

export interface SeatRead {
  seatId: number
  userId: number
  /** Booking's clock when the read was asked for: which of the user's holds are live. */
  readAt: Date
}

function seatQuery(db: BookingDb, { seatId, userId, readAt }: SeatRead, item: number) {
  return (
    db
      .selectFrom('seat as s')
      .leftJoin('reservation as r', 'r.active_seat_id', 's.id')
      .select([
        sql<number>`${item}`.as('item'),
        's.id',
        's.seat_no',
        's.price',
        's.concert_option_id',
        'r.id as holder_id',
        'r.user_id as holder_user_id',
        'r.status as holder_status',
        'r.expires_at as holder_expires_at',
      ])
      // The user's holds in the same performance, so a winning hold's transaction need not read them.
      .select((eb) => {
        const userHolds = () =>
          eb
            .selectFrom('reservation as h')
            .whereRef('h.concert_option_id', '=', 's.concert_option_id')
            .where('h.user_id', '=', userId)
            .where('h.pending_hold_slot', 'is not', null)
        return [
          userHolds()
            .select(sql<string | null>`group_concat(h.hold_slot)`.as('slots'))
            .where('h.expires_at', '>', readAt)
            .as('user_live_slots'),
          userHolds().select(sql<number>`count(*)`.as('n')).where('h.expires_at', '<=', readAt).as('user_lapsed_holds'),
        ]
      })
      .where('s.id', '=', seatId)
  )
}

/** A seat as a hold needs it: its catalog fields, its live holder if any, the user's slots in use. */
export interface FoundSeat {
  id: number
  seat_no: number
  price: number
  concert_option_id: number
  holder_id: number | null
  holder_user_id: number | null
  holder_status: ReservationStatus | null
  holder_expires_at: Date | null
  /** The slots of the user's live holds in the performance, comma-separated. */
  user_live_slots: string | null
  user_lapsed_holds: number | string | null
}

/** One read's statement, and the value of the read each of its parameters takes. */
interface SeatReadStatement {
  sql: string
  parameters: ReadonlyArray<(read: SeatRead, item: number) => unknown>
}

/**
 * Compiles one read's statement once. Built by Kysely for every read, the `union all` of a stampede's
 * hundred reads cost ~4 ms of the event loop (docs/performance.md); the same SQL repeated with each
 * read's parameters is the same query. Which value goes where is learnt from the compiled parameters
 * themselves: each is given a value no read has (a negative number, a time before 1970).
 */
function compileSeatRead(db: BookingDb): SeatReadStatement {
  const probe = { seatId: -2, userId: -3, readAt: new Date(-4) }
  const compiled = seatQuery(db, probe, -1).compile()
  const parameters = compiled.parameters.map((value) => {
    const code = value instanceof Date ? value.getTime() : value
    if (code === -1) return (_: SeatRead, item: number) => item
    if (code === -2) return (read: SeatRead) => read.seatId
    if (code === -3) return (read: SeatRead) => read.userId
    if (code === -4) return (read: SeatRead) => read.readAt
    throw new Error(`the seat read's statement has a parameter no read gives: ${String(value)}`)
  })
  return { sql: compiled.sql, parameters }
}

/** One query for the seats of a batch (`union all`), each row tagged with the read it answers. */
async function readSeats(
  db: BookingDb,
  statement: SeatReadStatement,
  reads: readonly SeatRead[],
): Promise<Array<FoundSeat | undefined>> {
  const found: Array<FoundSeat | undefined> = reads.map(() => undefined)
  if (reads.length === 0) return found
  const query = CompiledQuery.raw(
    reads.map(() => statement.sql).join(' union all '),
    reads.flatMap((read, item) => statement.parameters.map((value) => value(read, item))),
  )
  const { rows } = await db.executeQuery<FoundSeat & { item: number | string }>(query)
  for (const { item, ...seat } of rows) found[Number(item)] = seat
  return found
}

/** A hold to write (its reservation id still 0): the seat is free by the read, as are the user's `freeSlots`. */
export interface HoldToWrite {
  hold: Hold
  /** In the order to try them; never empty. */
  freeSlots: readonly number[]
  now: Date
}

function holdStatements(db: BookingDb, { hold, now }: HoldToWrite, slot: number) {
  return [
    db
      .insertInto('reservation')
      .values(newHold(hold, slot, now))
      .compile(),
    // The event's reservation id is MySQL's to give (`last_insert_id()`).
    eventOfLastInsert(db, 'reservation.held', heldEvent(hold), 'reservationId', now),
  ]
}

/**
 * The holds of a batch, their reservations and events, in one transaction sent in one round trip;
 * answers each hold's reservation id. In seat order, so two processes' batches take the seats' keys
 * in the same order. Two holds of one user in one performance take different slots: each the first
 * of its free slots that an earlier hold of the batch has not taken (one with none left is written
 * after the batch, by itself, and refused the slot it picks again in a transaction; holds.ts). When a
 * hold breaks a unique key (its seat or slot taken by another process since the read), nothing of the
 * batch is kept and each hold is written by itself, so only that one fails, as it would have alone.
 */
async function writeHolds(db: BookingDb, holds: readonly HoldToWrite[]): Promise<BatchAnswer<number>[]> {
  const together: Array<{ i: number; slot: number }> = []
  const slotsTaken = new Set<string>()
  const bySeat = holds.map((_, i) => i).sort((a, b) => seatOf(holds[a]) - seatOf(holds[b]))
  for (const i of bySeat) {
    const { hold, freeSlots } = holds[i] as HoldToWrite
    const keyOf = (slot: number) => `${hold.userId}/${hold.concertOptionId}/${slot}`
    const slot = freeSlots.find((free) => !slotsTaken.has(keyOf(free)))
    if (slot === undefined) continue
    slotsTaken.add(keyOf(slot))
    together.push({ i, slot })
  }
  let written: Awaited<ReturnType<typeof inOneRoundTrip>>
  try {
    written = await inOneRoundTrip(
      db,
      together.flatMap(({ i, slot }) => holdStatements(db, holds[i] as HoldToWrite, slot)),
    )
  } catch (err) {
    if (holds.length === 1 || !isDuplicateKey(err)) throw err
    const slots = new Map(together.map(({ i, slot }) => [i, slot]))
    return holds.map((hold, i) => writeAlone(db, hold, slots.get(i)))
  }
  const ids = new Map(together.map(({ i }, position) => [i, Number(written[2 * position]?.insertId)]))
  return holds.map((hold, i) => ids.get(i) ?? writeAlone(db, hold))
}

const seatOf = (write: HoldToWrite | undefined) => write?.hold.seatId ?? 0

/** A hold by itself, in the slot its batch gave it (else its first free one). */
async function writeAlone(db: BookingDb, hold: HoldToWrite, slot = hold.freeSlots[0] as number): Promise<number> {
  const [inserted] = await inOneRoundTrip(db, holdStatements(db, hold, slot))
  return Number(inserted?.insertId)
}

/** The reads and writes of the holds decided in one turn of booking's event loop, batched. */
export function holdBatches(db: BookingDb) {
  const seatRead = compileSeatRead(db)
  return {
    /** The seat, or undefined when there is no such seat. */
    readSeat: batchPerTurn<SeatRead, FoundSeat | undefined>((reads) => readSeats(db, seatRead, reads), {
      maxItems: MAX_READS,
    }),
    /** The new reservation's id; a duplicate key is thrown as the hold's own. */
    writeHold: batchPerTurn<HoldToWrite, number>((holds) => writeHolds(db, holds), { maxItems: MAX_HOLDS }),
  }
}

export type HoldBatches = ReturnType<typeof holdBatches>
