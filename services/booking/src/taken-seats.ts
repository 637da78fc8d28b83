import { type Clock, systemClock } from '@stagepass/kit'
import { SEAT_REFUSED, type SeatRefused } from './errors.js'

/** Settles once the I/O callbacks of this turn of the event loop and their promise jobs have run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Seats this process has just seen taken, so a stampede on a sold-out performance is refused
 * without a query per request. An entry lasts at most `boundMs` (1 s, the lag the seat list is
 * allowed anyway) and never past the hold's own expiry, the only moment a taken seat frees itself.
 *
 * Requests for one seat are also decided one at a time in this process: while one request tries
 * the seat (reads it and, when free, takes it), the others wait for its outcome and then look
 * again: a hold it made is remembered, so they are refused; if it failed for its own reasons (the
 * user over the cap, the database), the next one tries. 1,000 buyers of 100 seats then cost about
 * 100 reads and 100 holds, not 1,000 of each, and a refusal is never early: the seat is held when
 * it is given. Waiting for the outcome rather than refusing as soon as the seat is being taken is
 * what lets the winners hear first in a stampede: a refused client comes straight back, and the
 * event loop's backlog of those refusals is what every round trip of the winners' holds waited
 * behind (docs/booking.md). For the same reason the waiting requests look again only in the next
 * turn of the event loop, once the winner's answer is written.
 *
 * It can only refuse, never grant: every hold is still decided by the database's unique key, which
 * is also what settles races between processes. `boundMs = 0` switches all of this off.
 *
 * Time is booking's `clock`, the one its holds are judged by: an entry is good while `now < until`.
 */
export function createTakenSeats(
  boundMs = 1000,
  { maxEntries = 100_000, clock = systemClock }: { maxEntries?: number; clock?: Clock } = {},
) {
  const until = new Map<number, number>()
  const deciding = new Map<number, Promise<void>>()

  function isTaken(seatId: number): boolean {
    const end = until.get(seatId)
    if (end === undefined) return false
    if (end > clock.now()) return true
    until.delete(seatId)
    return false
  }

  return {
    isTaken,
    /** The seat is held until `heldUntil` (ms), or sold / held for an unknown time when omitted. */
    remember(seatId: number, heldUntil = Number.POSITIVE_INFINITY) {
      if (boundMs <= 0) return
      if (until.size >= maxEntries) until.clear()
      until.delete(seatId)
      until.set(seatId, Math.min(clock.now() + boundMs, heldUntil))
    },
    /**
     * Runs `attempt` for the seat unless it is known to be taken (SEAT_REFUSED), one attempt per
     * seat at a time: a request that finds one running waits for it to settle, then looks again.
     */
    async decide<T>(seatId: number, attempt: () => Promise<T>): Promise<T | SeatRefused> {
      if (boundMs <= 0) return attempt()
      for (;;) {
        if (isTaken(seatId)) return SEAT_REFUSED
        const running = deciding.get(seatId)
        if (running === undefined) break
        await running
      }
      const outcome = attempt()
      // The others look again a turn later: the winner's answer (the route, the reply, its hooks) is
      // written before the refusals it causes, not interleaved with hundreds of them.
      const settled = outcome.then(nextTurn, nextTurn)
      deciding.set(seatId, settled)
      try {
        return await outcome
      } finally {
        if (deciding.get(seatId) === settled) deciding.delete(seatId)
      }
    },
  }
}

export type TakenSeats = ReturnType<typeof createTakenSeats>
