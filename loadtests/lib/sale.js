// @ts-check
/** Holding a seat and paying for it, as a buyer does it: shared by the sale scenarios. */
import { check } from 'k6'
import { dataOf, errorCode, expectStatus, pay, reserveSeat } from './api.js'
import { pickAny, seatsOf } from './catalog.js'
import { paymentsCompleted, seatHolds } from './metrics.js'
import { leaveStore, tokenRefused } from './queue.js'

/**
 * @typedef {{ outcome: 'held', hold: import('./api.js').Hold }
 *   | { outcome: 'sold-out' | 'token-refused' | 'failed' }} HoldAttempt
 */

/**
 * Reads the free seats, picks one at random and reserves it; when someone else was faster (409),
 * reads the list again and tries another. Stops when a seat is held or none is left.
 * @param {import('./queue.js').Pass} pass
 * @param {number} concertOptionId
 * @param {{ measureList?: boolean, measureReserve?: boolean, attempts?: number }} [options]
 * @returns {HoldAttempt}
 */
export function holdAnySeat(
  pass,
  concertOptionId,
  { measureList = false, measureReserve = false, attempts = 20 } = {},
) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const seats = seatsOf(pass, concertOptionId, { measured: measureList })
    if (!seats) return { outcome: 'failed' }
    const seat = pickAny(seats)
    if (!seat) return { outcome: 'sold-out' }
    const res = reserveSeat(pass, seat.seatId, { measured: measureReserve, expected: [200, 409] })
    expectStatus(res, 'reserve a seat', [200, 409])
    /** @type {import('./api.js').Hold | undefined} */
    const hold = dataOf(res)
    if (hold) {
      seatHolds.add(1)
      return { outcome: 'held', hold }
    }
    if (tokenRefused(res)) {
      leaveStore()
      return { outcome: 'token-refused' }
    }
    // 409 SEAT_UNAVAILABLE: the list was a moment old. Anything else is not worth retrying.
    if (errorCode(res) !== 'SEAT_UNAVAILABLE') return { outcome: 'failed' }
  }
  return { outcome: 'failed' }
}

/**
 * Pays for a hold. A failed attempt is retried with the same Idempotency-Key, so points are never
 * taken twice. After a payment the token is revoked: the buyer leaves the store.
 * @param {import('./queue.js').Pass} pass
 * @param {import('./api.js').Hold} hold
 * @param {{ measured?: boolean }} [options]
 * @returns {import('./api.js').Receipt | undefined}
 */
export function payForHold(pass, hold, { measured = false } = {}) {
  const key = `loadtest-${hold.reservationId}`
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = pay(pass, hold.reservationId, key, { measured })
    /** @type {import('./api.js').Receipt | undefined} */
    const receipt = dataOf(res)
    if (receipt) {
      expectStatus(res, 'pay for the hold')
      paymentsCompleted.add(1)
      leaveStore()
      return receipt
    }
    // A 4xx is the answer (expired, already paid, not enough points); only a 5xx is worth a retry.
    if (res.status < 500) break
  }
  check(hold, { 'pay for the hold: 200': () => false })
  return undefined
}
