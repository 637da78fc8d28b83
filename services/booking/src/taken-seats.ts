import { SeatUnavailableError } from './errors.js'

/**
 * Seats this process has just seen taken, so a stampede on a sold-out performance is refused
 * without a query per request. An entry lasts at most `boundMs` (1 s, the lag the seat list is
 * allowed anyway) and never past the hold's own expiry, the only moment a taken seat frees itself.
 * While one request of this process is deciding a seat, the others for that seat wait for its
 * outcome instead of racing it into the database: 1,000 buyers of 100 seats cost about 100 holds'
 * worth of queries, not 1,000.
 *
 * It can only refuse, never grant: every hold is still decided by the database's unique key, which
 * is also what settles races between processes. `boundMs = 0` switches all of this off.
 */
export function createTakenSeats(boundMs = 1000, maxEntries = 100_000) {
  const until = new Map<number, number>()
  const deciding = new Map<number, Promise<unknown>>()

  function isTaken(seatId: number): boolean {
    const end = until.get(seatId)
    if (end === undefined) return false
    if (end > Date.now()) return true
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
      until.set(seatId, Math.min(Date.now() + boundMs, heldUntil))
    },
    /**
     * Runs `attempt` for the seat unless it is known to be taken (SEAT_UNAVAILABLE), one attempt
     * per seat at a time; a request that waited looks again once the attempt before it settled.
     */
    async decide<T>(seatId: number, attempt: () => Promise<T>): Promise<T> {
      if (boundMs <= 0) return attempt()
      for (;;) {
        if (isTaken(seatId)) throw new SeatUnavailableError(seatId)
        const running = deciding.get(seatId)
        if (running === undefined) break
        await running.catch(() => {})
      }
      const mine = attempt()
      deciding.set(seatId, mine)
      try {
        return await mine
      } finally {
        if (deciding.get(seatId) === mine) deciding.delete(seatId)
      }
    },
  }
}

export type TakenSeats = ReturnType<typeof createTakenSeats>
