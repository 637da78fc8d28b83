// @ts-check
/** Holding a seat and paying for it, as a buyer does it: shared by the sale scenarios. */
import { check, sleep } from 'k6'
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

/** Seconds between payment attempts whose answer was lost: an instance restarting needs a moment. */
const PAY_RETRY_PAUSES = [0.25, 0.5, 1, 2]

/**
 * Pays for a hold. An attempt whose answer was lost — the connection reset (status 0), or a 502, 503
 * or 504 because the instance paying it died or was busy — is sent again with the same
 * Idempotency-Key after a pause: the payment happened once or not at all, and the retry returns its
 * receipt or makes it, so points are never taken twice. After a payment the token is revoked: the buyer
 * leaves the store.
 * @param {import('./queue.js').Pass} pass
 * @param {import('./api.js').Hold} hold
 * @param {{ measured?: boolean }} [options]
 * @returns {import('./api.js').Receipt | undefined}
 */
export function payForHold(pass, hold, { measured = false } = {}) {
  const key = `loadtest-${hold.reservationId}`
  let lost = false
  for (let attempt = 0; attempt <= PAY_RETRY_PAUSES.length; attempt++) {
    const res = pay(pass, hold.reservationId, key, { measured })
    /** @type {import('./api.js').Receipt | undefined} */
    const receipt = dataOf(res)
    if (receipt) {
      expectStatus(res, 'pay for the hold')
      paymentsCompleted.add(1)
      leaveStore()
      return receipt
    }
    // A lost answer whose payment went through: payment.completed has revoked the token meanwhile.
    if (lost && errorCode(res) === 'TOKEN_REVOKED') {
      paymentsCompleted.add(1)
      leaveStore()
      return undefined
    }
    // Any other 4xx is the answer (expired, already paid, not enough points): not worth a retry.
    if (res.status !== 0 && res.status < 500) break
    lost = true
    const pause = PAY_RETRY_PAUSES[attempt]
    if (pause !== undefined) sleep(pause)
  }
  check(hold, { 'pay for the hold: 200': () => false })
  return undefined
}
