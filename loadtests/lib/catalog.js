// @ts-check
/** Finding what to browse and buy: concerts, their dated performances, and free seats. */
import { fail } from 'k6'
import { availableDates, availableSeats, dataOf, listConcerts } from './api.js'
import { CONCERT_OPTION_ID } from './config.js'

/**
 * A performance and its free seats as setup saw them before the run.
 * @typedef {{ concertOptionId: number, seats: import('./api.js').Seat[] }} Performance
 */

/**
 * The free seats of a performance, or undefined when the list could not be read.
 * @param {string} token
 * @param {number} concertOptionId
 * @param {{ measured?: boolean }} [o]
 */
export function seatsOf(token, concertOptionId, o = {}) {
  return dataOf(availableSeats(token, concertOptionId, o))?.seats
}

/**
 * The performance a sale scenario sells: CONCERT_OPTION_ID when set, otherwise the first one with
 * at least `minSeats` free seats (so repeated runs move on to untouched performances).
 * @param {string} token
 * @param {number} minSeats
 * @returns {Performance}
 */
export function pickPerformance(token, minSeats) {
  if (CONCERT_OPTION_ID !== undefined) {
    const seats = seatsOf(token, CONCERT_OPTION_ID)
    if (!seats) return fail(`cannot read the seats of concert option ${CONCERT_OPTION_ID}`)
    return { concertOptionId: CONCERT_OPTION_ID, seats }
  }
  const concerts = dataOf(listConcerts(token))?.concerts ?? []
  for (const concert of concerts) {
    /** @type {{ concerts: import('./api.js').ConcertDate[] } | undefined} */
    const dates = dataOf(availableDates(token, concert.id))
    for (const option of dates?.concerts ?? []) {
      if (option.availableSeats < minSeats) continue
      const seats = seatsOf(token, option.concertOptionId)
      if (seats && seats.length >= minSeats) return { concertOptionId: option.concertOptionId, seats }
    }
  }
  return fail(
    `no performance has ${minSeats} free seats: load a fresh catalog (see docs/load-testing.md) or set CONCERT_OPTION_ID`,
  )
}

/**
 * One of `items` at random.
 * @template T
 * @param {T[]} items
 * @returns {T | undefined}
 */
export const pickAny = (items) => items[Math.floor(Math.random() * items.length)]
