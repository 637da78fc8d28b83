import { type Clock, systemClock } from '@stagepass/kit'
import { SeatUnavailableError } from './errors.js'

/**
 * Seats this process has just seen taken, so a stampede on a sold-out performance is refused
 * without a query per request. An entry lasts at most `boundMs` (1 s, the lag the seat list is
 * allowed anyway) and never past the hold's own expiry, the only moment a taken seat frees itself.
 *
 * Requests for one seat are also decided one at a time in this process: while one request reads
 * the seat, the others wait for what it finds; once it has found the seat free and is taking it
 * (`claim`), the others are refused at once, as they would be a moment later. 1,000 buyers of 100
 * seats then cost about 100 reads and 100 holds, not 1,000 of each, and none of them waits behind
 * someone else's transaction.
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
  const deciding = new Map<number, Decision>()

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
     * Runs `attempt` for the seat unless it is known to be taken or being taken (SEAT_UNAVAILABLE),
     * one attempt per seat at a time. `attempt` calls `claim()` once it has found the seat free and
     * starts taking it; a request that waited looks again when the attempt claims or settles.
     */
    async decide<T>(seatId: number, attempt: (claim: () => void) => Promise<T>): Promise<T> {
      if (boundMs <= 0) return attempt(() => {})
      for (;;) {
        if (isTaken(seatId)) throw new SeatUnavailableError(seatId)
        const running = deciding.get(seatId)
        if (running === undefined) break
        if (running.claimed) throw new SeatUnavailableError(seatId)
        await running.moved
      }
      let moved: () => void = () => {}
      const decision: Decision = { claimed: false, moved: new Promise<void>((resolve) => (moved = resolve)) }
      deciding.set(seatId, decision)
      try {
        return await attempt(() => {
          decision.claimed = true
          moved()
        })
      } finally {
        if (deciding.get(seatId) === decision) deciding.delete(seatId)
        moved()
      }
    },
  }
}

interface Decision {
  /** The attempt found the seat free and is taking it. */
  claimed: boolean
  /** Settles when the attempt claims the seat or ends. */
  moved: Promise<void>
}

export type TakenSeats = ReturnType<typeof createTakenSeats>
