import type { ConcertDb } from '@stagepass/db'
import { ConcertNotFoundError, ConcertOptionNotFoundError } from './errors.js'

export interface ConcertSummary {
  id: number
  concertName: string
  singer: string
  startDate: string
  endDate: string
  reserveStartDate: string
  reserveEndDate: string
}

export interface ConcertDate {
  concertOptionId: number
  concertId: number
  concertName: string
  concertDate: string
  concertTime: string
  concertVenue: string
  availableSeats: number
  startsAt: string
}

export interface ConcertDates {
  concertId: number
  concerts: ConcertDate[]
}

export interface AvailableSeat {
  seatId: number
  seatNo: number
  price: number
  status: 'AVAILABLE'
}

export interface AvailableSeats {
  concertOptionId: number
  seats: AvailableSeat[]
}

/**
 * Availability as the database showed it, and when it changes by itself: the moment the earliest
 * live hold lapses (epoch ms), after which that seat is free again without any write.
 */
export interface AvailabilityView<T> {
  data: T
  nextLapseAt: number | undefined
}

// Availability reads booking's `reservation` table (read-only, the one cross-context read of this
// context; see docs/concert.md): a seat is taken while a reservation is PAID, or PENDING with
// `expires_at` still ahead. `active_seat_id` is the seat while PENDING or PAID, under a UNIQUE index.

/** DATE columns arrive as midnight UTC (the pool's timezone is Z). */
const dateOnly = (value: Date | string) =>
  typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10)
const epochMs = (value: Date | string | null | undefined) => (value == null ? undefined : new Date(value).getTime())

export interface ConcertPage {
  concerts: ConcertSummary[]
  /** The `cursor` of the next page; null on the last one. */
  nextCursor: string | null
}

/**
 * The concerts after `after` (an id; 0 for the first page) in id order, at most `limit` of them.
 * One more row is read to tell whether a next page exists, so the last page says so itself.
 */
export async function listConcerts(
  db: ConcertDb,
  { after, limit }: { after: number; limit: number },
): Promise<ConcertPage> {
  const rows = await db
    .selectFrom('concert')
    .select(['id', 'name', 'singer', 'start_date', 'end_date', 'reserve_start_at', 'reserve_end_at'])
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  return {
    concerts: page.map((row) => ({
      id: Number(row.id),
      concertName: row.name,
      singer: row.singer,
      startDate: dateOnly(row.start_date),
      endDate: dateOnly(row.end_date),
      reserveStartDate: row.reserve_start_at.toISOString(),
      reserveEndDate: row.reserve_end_at.toISOString(),
    })),
    nextCursor: rows.length > limit ? String(page.at(-1)?.id) : null,
  }
}

async function concertExists(db: ConcertDb, concertId: number): Promise<boolean> {
  return (await db.selectFrom('concert').select('id').where('id', '=', concertId).executeTakeFirst()) !== undefined
}

async function concertOptionExists(db: ConcertDb, concertOptionId: number): Promise<boolean> {
  const row = await db.selectFrom('concert_option').select('id').where('id', '=', concertOptionId).executeTakeFirst()
  return row !== undefined
}

/** Every performance of a concert in date order, with how many of its seats are free at `now`. */
export async function listConcertDates(
  db: ConcertDb,
  concertId: number,
  now: Date,
): Promise<AvailabilityView<ConcertDates>> {
  // Driven by the (concert_id, starts_at) index, so rows come grouped and ordered without a sort.
  const rows = await db
    .selectFrom('concert_option as o')
    .innerJoin('concert as c', 'c.id', 'o.concert_id')
    .leftJoin('seat as s', 's.concert_option_id', 'o.id')
    // The seat's live reservation, if any: PAID, or PENDING and not lapsed at `now`. Booking's
    // unique `active_seat_id` makes it at most one row per seat.
    .leftJoin('reservation as r', (join) =>
      join
        .onRef('r.active_seat_id', '=', 's.id')
        .on((eb) => eb.or([eb('r.status', '=', 'PAID'), eb('r.expires_at', '>', now)])),
    )
    .select((eb) => [
      'c.name',
      'o.id as optionId',
      'o.venue',
      'o.starts_at as startsAt',
      eb.fn.count<number>('s.id').as('seats'),
      eb.fn.count<number>('r.active_seat_id').as('taken'),
      eb.fn.min(eb.case().when('r.status', '=', 'PENDING').then(eb.ref('r.expires_at')).end()).as('nextLapseAt'),
    ])
    .where('o.concert_id', '=', concertId)
    .groupBy(['o.starts_at', 'o.id'])
    .orderBy('o.starts_at')
    .orderBy('o.id')
    .execute()
  if (rows.length === 0 && !(await concertExists(db, concertId))) throw new ConcertNotFoundError(concertId)
  let nextLapseAt: number | undefined
  const concerts: ConcertDate[] = rows.map((row) => {
    const startsAt = new Date(row.startsAt).toISOString()
    const lapse = epochMs(row.nextLapseAt as Date | null)
    if (lapse !== undefined && (nextLapseAt === undefined || lapse < nextLapseAt)) nextLapseAt = lapse
    return {
      concertOptionId: Number(row.optionId),
      concertId,
      concertName: row.name,
      concertDate: startsAt.slice(0, 10),
      concertTime: startsAt.slice(11, 16),
      concertVenue: row.venue,
      availableSeats: Number(row.seats) - Number(row.taken),
      startsAt,
    }
  })
  return { data: { concertId, concerts }, nextLapseAt }
}

export type SeatStatus = 'FREE' | 'HELD' | 'SOLD'

export interface SeatMapSeat {
  seatId: number
  seatNo: number
  price: number
  status: SeatStatus
}

export interface SeatMap {
  concertOptionId: number
  seats: SeatMapSeat[]
}

/**
 * Every seat of one performance at `now`, by seat number, with its status: SOLD while a
 * reservation is PAID, HELD while one is PENDING and not lapsed, else FREE. Nothing of the
 * reservation (its id, its user, its expiry) leaves this function but the status.
 */
export async function listSeatMap(
  db: ConcertDb,
  concertOptionId: number,
  now: Date,
): Promise<AvailabilityView<SeatMap>> {
  // Every seat of the performance in seat-number order (index order, no sort) with its live
  // reservation, if any.
  const rows = await db
    .selectFrom('seat as s')
    .leftJoin('reservation as r', (join) =>
      join
        .onRef('r.active_seat_id', '=', 's.id')
        .on((eb) => eb.or([eb('r.status', '=', 'PAID'), eb('r.expires_at', '>', now)])),
    )
    .select(['s.id', 's.seat_no', 's.price', 'r.status', 'r.expires_at'])
    .where('s.concert_option_id', '=', concertOptionId)
    .orderBy('s.seat_no')
    .execute()
  if (rows.length === 0 && !(await concertOptionExists(db, concertOptionId))) {
    throw new ConcertOptionNotFoundError(concertOptionId)
  }
  let nextLapseAt: number | undefined
  const seats: SeatMapSeat[] = rows.map((row) => {
    let status: SeatStatus = 'FREE'
    if (row.status === 'PAID') status = 'SOLD'
    else if (row.status === 'PENDING') {
      status = 'HELD'
      const lapse = epochMs(row.expires_at)
      if (lapse !== undefined && (nextLapseAt === undefined || lapse < nextLapseAt)) nextLapseAt = lapse
    }
    return { seatId: Number(row.id), seatNo: row.seat_no, price: Number(row.price), status }
  })
  return { data: { concertOptionId, seats }, nextLapseAt }
}

/** The free seats of one performance at `now`, by seat number: the seat map's FREE seats. */
export async function listAvailableSeats(
  db: ConcertDb,
  concertOptionId: number,
  now: Date,
): Promise<AvailabilityView<AvailableSeats>> {
  const { data, nextLapseAt } = await listSeatMap(db, concertOptionId, now)
  const seats: AvailableSeat[] = []
  for (const { status, ...seat } of data.seats) if (status === 'FREE') seats.push({ ...seat, status: 'AVAILABLE' })
  return { data: { concertOptionId, seats }, nextLapseAt }
}

/** The concert a performance belongs to; fixed once the performance exists. */
export async function findConcertIdOfOption(db: ConcertDb, concertOptionId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('concert_option')
    .select('concert_id')
    .where('id', '=', concertOptionId)
    .executeTakeFirst()
  return row ? Number(row.concert_id) : undefined
}
