import type { BookingDb, BookingTransaction, ReservationStatus } from '@stagepass/db'
import { inTransaction, isDuplicateKey } from '@stagepass/db'
import { type Clock, systemClock } from '@stagepass/kit'
import { HoldLimitReachedError, SEAT_REFUSED, SeatNotFoundError, type SeatRefused } from './errors.js'
import type { FoundSeat, HoldBatches } from './hold-batches.js'
import { type Hold, heldEvent, newHold } from './hold-rows.js'
import { enqueueEvent } from './outbox.js'
import { RESERVATION_COLUMNS } from './reservation-columns.js'
import type { TakenSeats } from './taken-seats.js'

type Trx = BookingTransaction

export interface HoldSettings {
  holdTtlSeconds: number
  maxHoldsPerUserPerOption: number
}

export type { Hold } from './hold-rows.js'

/** A reservation as the release of its hold needs it. */
export interface HeldReservation {
  id: number
  user_id: number
  seat_id: number
  concert_option_id: number
}

const SEAT_KEY = 'reservation_active_seat_id'
const HOLD_SLOT_KEY = 'reservation_user_option_hold_slot'

/*
 * Time. A hold lapses when booking's clock reaches `expires_at` (`expires_at <= now`): every `now`
 * here is that clock's, passed to MySQL as a value, never MySQL's NOW(). The hold's end is set by
 * the same clock (`now + HOLD_TTL_SECONDS`); the gateway and the queue play no part in it.
 */

/**
 * Frees the seat of a PENDING hold whose time is up, and records `reservation.released` with it.
 * Conditional on the row still being a lapsed hold, so the expiry job, the sweep, a reserve and a
 * payment can all try at once: exactly one releases it, and a payment that committed first wins.
 */
export async function releaseLapsedHold(trx: Trx, hold: HeldReservation, now: Date): Promise<boolean> {
  const result = await trx
    .updateTable('reservation')
    .set({ status: 'EXPIRED' })
    .where('id', '=', hold.id)
    .where('status', '=', 'PENDING')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return false
  await enqueueEvent(
    trx,
    'reservation.released',
    {
      reservationId: hold.id,
      userId: hold.user_id,
      seatId: hold.seat_id,
      concertOptionId: hold.concert_option_id,
      reason: 'EXPIRED',
    },
    now,
  )
  return true
}

/** The free slots in a random order, so one user's concurrent holds rarely try the same one. */
function freeSlots(taken: Set<number>, max: number): number[] {
  const free: number[] = []
  for (let slot = 1; slot <= max; slot++) if (!taken.has(slot)) free.push(slot)
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[free[i], free[j]] = [free[j] as number, free[i] as number]
  }
  return free
}

/** The user's slots in the performance, read in the transaction: lapsed holds are released on the way. */
async function pickSlotReleasingLapsed(
  trx: Trx,
  seat: SeatToHold,
  userId: number,
  settings: HoldSettings,
  released: HeldReservation[],
  now: Date,
): Promise<number | undefined> {
  const holds = await trx
    .selectFrom('reservation')
    .select(['id', 'user_id', 'seat_id', 'concert_option_id', 'hold_slot', 'expires_at'])
    .where('user_id', '=', userId)
    .where('concert_option_id', '=', seat.concert_option_id)
    .where('pending_hold_slot', 'is not', null)
    .execute()
  const taken = new Set<number>()
  for (const hold of holds) {
    if (hold.expires_at > now) taken.add(hold.hold_slot)
    else if (await releaseLapsedHold(trx, hold, now)) released.push(hold)
  }
  return freeSlots(taken, settings.maxHoldsPerUserPerOption)[0]
}

/**
 * The free slots by what the seat's read found of the user's holds in the performance, in a random
 * order; none when the transaction has to look itself: a lapsed hold of theirs to release, or no
 * slot free (one may have lapsed since the read).
 */
function freeSlotsFromRead(found: FoundSeat, settings: HoldSettings): number[] {
  if (Number(found.user_lapsed_holds) > 0) return []
  const live = (found.user_live_slots ?? '').split(',').filter(Boolean).map(Number)
  return freeSlots(new Set(live), settings.maxHoldsPerUserPerOption)
}

interface SeatToHold {
  id: number
  seat_no: number
  price: number
  concert_option_id: number
}

/**
 * One short transaction. The UNIQUE key on `active_seat_id` is what makes a second live hold of a
 * seat impossible; everything else only saves work or frees lapsed holds (the seat's, found by the
 * read before the transaction, and the user's own slots), so a lapsed hold never blocks anyone.
 */
async function tryHold(
  trx: Trx,
  seat: SeatToHold,
  lapsedHolder: HeldReservation | undefined,
  userId: number,
  settings: HoldSettings,
  released: HeldReservation[],
  clock: Clock,
  freeSlot: number | undefined,
): Promise<Hold> {
  const now = new Date(clock.now())
  if (lapsedHolder && (await releaseLapsedHold(trx, lapsedHolder, now))) released.push(lapsedHolder)
  const slot = freeSlot ?? (await pickSlotReleasingLapsed(trx, seat, userId, settings, released, now))
  if (slot === undefined) throw new HoldLimitReachedError(userId, settings.maxHoldsPerUserPerOption)

  const expiresAt = new Date(now.getTime() + settings.holdTtlSeconds * 1000)
  const unsaved = holdOf(0, seat, userId, expiresAt)
  const inserted = await trx
    .insertInto('reservation')
    .values(newHold(unsaved, slot, now))
    .executeTakeFirstOrThrow()
  const hold = { ...unsaved, reservationId: Number(inserted.insertId) }
  await enqueueEvent(trx, 'reservation.held', heldEvent(hold), now)
  return hold
}

/**
 * The common hold, with nothing to release and its slot known from the seat's read: its reservation
 * and its event written with the other holds of this turn, in one round trip (hold-batches.ts), so a
 * winner of a stampede waits for one answer from MySQL after the read, not four.
 */
async function holdWithTheTurn(
  batches: HoldBatches,
  seat: SeatToHold,
  userId: number,
  settings: HoldSettings,
  clock: Clock,
  freeSlots: readonly number[],
): Promise<Hold> {
  const now = new Date(clock.now())
  const expiresAt = new Date(now.getTime() + settings.holdTtlSeconds * 1000)
  const hold = holdOf(0, seat, userId, expiresAt)
  return { ...hold, reservationId: await batches.writeHold({ hold, freeSlots, now }) }
}

function holdOf(reservationId: number, seat: SeatToHold, userId: number, expiresAt: Date): Hold {
  return {
    reservationId,
    userId,
    seatId: seat.id,
    seatNo: seat.seat_no,
    concertOptionId: seat.concert_option_id,
    price: seat.price,
    expiresAt,
  }
}

/**
 * Holds a seat for the user. A second holder gets SEAT_REFUSED (answered, not thrown); a user over
 * the cap for the performance gets HOLD_LIMIT_REACHED. Returns the hold and any lapsed holds it
 * released. With `taken`, seats this process just saw taken are refused without a query (see
 * taken-seats.ts); `clock` says whether a hold has lapsed and when the new one ends.
 */
export async function holdSeat(
  db: BookingDb,
  batches: HoldBatches,
  { userId, seatId }: { userId: number; seatId: number },
  settings: HoldSettings,
  { taken, clock = systemClock }: { taken?: TakenSeats; clock?: Clock } = {},
): Promise<{ hold: Hold; released: HeldReservation[] } | SeatRefused> {
  const decide = () => decideHold(db, batches, { userId, seatId }, settings, { taken, clock })
  return taken ? taken.decide(seatId, decide) : decide()
}

async function decideHold(
  db: BookingDb,
  batches: HoldBatches,
  { userId, seatId }: { userId: number; seatId: number },
  settings: HoldSettings,
  { taken, clock }: { taken: TakenSeats | undefined; clock: Clock },
): Promise<{ hold: Hold; released: HeldReservation[] } | SeatRefused> {
  // The catalog is concert's; booking reads a seat's number, price and performance only. The same
  // read finds the seat's live reservation, so under a stampede most refusals cost this one query,
  // and the user's holds in the performance, so a winning hold's transaction need not read them.
  const found = await batches.readSeat({ seatId, userId, readAt: new Date(clock.now()) })
  if (!found) throw new SeatNotFoundError(seatId)
  const seat: SeatToHold = {
    id: found.id,
    seat_no: found.seat_no,
    price: found.price,
    concert_option_id: found.concert_option_id,
  }
  let lapsedHolder: HeldReservation | undefined
  if (found.holder_id !== null && found.holder_user_id !== null) {
    const heldUntil = found.holder_status === 'PAID' ? undefined : (found.holder_expires_at ?? new Date(0)).getTime()
    if (heldUntil === undefined || heldUntil > clock.now()) {
      taken?.remember(seatId, heldUntil)
      return SEAT_REFUSED
    }
    lapsedHolder = {
      id: found.holder_id,
      user_id: found.holder_user_id,
      seat_id: seat.id,
      concert_option_id: seat.concert_option_id,
    }
  }
  // A slot taken by one of the user's own concurrent holds is retried with the slots left, as the
  // transaction reads them.
  for (let attempt = 0; ; attempt++) {
    const released: HeldReservation[] = []
    const free = attempt === 0 ? freeSlotsFromRead(found, settings) : []
    try {
      const hold =
        lapsedHolder === undefined && free.length > 0
          ? await holdWithTheTurn(batches, seat, userId, settings, clock, free)
          : await inTransaction(db, (trx) => {
              released.length = 0
              return tryHold(trx, seat, lapsedHolder, userId, settings, released, clock, free[0])
            })
      taken?.remember(seatId, hold.expiresAt.getTime())
      return { hold, released }
    } catch (err) {
      if (isDuplicateKey(err, SEAT_KEY)) {
        taken?.remember(seatId)
        return SEAT_REFUSED
      }
      if (!isDuplicateKey(err, HOLD_SLOT_KEY)) throw err
      if (attempt >= settings.maxHoldsPerUserPerOption)
        throw new HoldLimitReachedError(userId, settings.maxHoldsPerUserPerOption)
    }
  }
}

/** A lapsed PENDING hold found by its expiry job: released unless paid or released already. */
export async function expireHold(
  db: BookingDb,
  reservationId: number,
  now = new Date(),
): Promise<{ released: HeldReservation | undefined; notBefore?: Date }> {
  const row = await db
    .selectFrom('reservation')
    .select(['id', 'user_id', 'seat_id', 'concert_option_id', 'status', 'expires_at'])
    .where('id', '=', reservationId)
    .executeTakeFirst()
  if (row?.status !== 'PENDING') return { released: undefined }
  if (row.expires_at > now) return { released: undefined, notBefore: row.expires_at }
  const released = await inTransaction(db, (trx) => releaseLapsedHold(trx, row, now))
  return { released: released ? row : undefined }
}

/** The safety net for holds whose expiry job never ran (Redis down, job lost): releases lapsed holds. */
export async function sweepLapsedHolds(db: BookingDb, now = new Date(), limit = 500): Promise<HeldReservation[]> {
  const lapsed = await db
    .selectFrom('reservation')
    .select(['id', 'user_id', 'seat_id', 'concert_option_id'])
    .where('status', '=', 'PENDING')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute()
  const released: HeldReservation[] = []
  for (const hold of lapsed) {
    if (await inTransaction(db, (trx) => releaseLapsedHold(trx, hold, now))) released.push(hold)
  }
  return released
}

/** A reservation as its owner sees it: the hold, its state, and the payment that settled it. */
export interface ReservationView extends Omit<Hold, 'expiresAt'> {
  status: ReservationStatus
  reservationExpireTime: string
  createdAt: string
  paidAt: string | null
  paymentId: number | null
}

/** A user's reservation as they see it: a lapsed hold reads EXPIRED even before it is released. */
export async function findReservation(
  db: BookingDb,
  { reservationId, userId }: { reservationId: number; userId: number },
  now = new Date(),
): Promise<ReservationView | undefined> {
  const row = await db
    .selectFrom('reservation as r')
    .innerJoin('seat as s', 's.id', 'r.seat_id')
    .leftJoin('payment as p', (join) => join.onRef('p.reservation_id', '=', 'r.id').on('p.status', '=', 'COMPLETED'))
    .select([...RESERVATION_COLUMNS, 'r.created_at', 'r.paid_at', 'p.id as payment_id'])
    .where('r.id', '=', reservationId)
    .executeTakeFirst()
  if (!row || row.user_id !== userId) return undefined
  const lapsed = row.status === 'PENDING' && row.expires_at <= now
  return {
    reservationId: row.id,
    userId: row.user_id,
    seatId: row.seat_id,
    seatNo: row.seat_no,
    concertOptionId: row.concert_option_id,
    price: row.price,
    status: lapsed ? 'EXPIRED' : row.status,
    reservationExpireTime: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    paidAt: row.paid_at ? row.paid_at.toISOString() : null,
    paymentId: row.payment_id ?? null,
  }
}
