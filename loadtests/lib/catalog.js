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
 * @param {import('./api.js').Holder} holder
 * @param {number} concertOptionId
 * @param {{ measured?: boolean }} [o]
 * @returns {import('./api.js').Seat[] | undefined}
 */
export function seatsOf(holder, concertOptionId, o = {}) {
  /** @type {{ seats: import('./api.js').Seat[] } | undefined} */
  const list = dataOf(availableSeats(holder, concertOptionId, o))
  return list ? list.seats : undefined
}

/**
 * The performance a sale scenario sells: CONCERT_OPTION_ID when set, otherwise the first one with
 * at least `minSeats` free seats (so repeated runs move on to untouched performances).
 * @param {import('./api.js').Holder} holder
 * @param {number} minSeats
 * @returns {Performance}
 */
export function pickPerformance(holder, minSeats) {
  if (CONCERT_OPTION_ID !== undefined) {
    const seats = seatsOf(holder, CONCERT_OPTION_ID)
    if (!seats) return fail(`cannot read the seats of concert option ${CONCERT_OPTION_ID}`)
    return { concertOptionId: CONCERT_OPTION_ID, seats }
  }
  /** @type {{ concerts: import('./api.js').Concert[] } | undefined} */
  const catalog = dataOf(listConcerts(holder))
  for (const concert of catalog ? catalog.concerts : []) {
    /** @type {{ concerts: import('./api.js').ConcertDate[] } | undefined} */
    const dates = dataOf(availableDates(holder, concert.id))
    for (const option of dates ? dates.concerts : []) {
      if (option.availableSeats < minSeats) continue
      const seats = seatsOf(holder, option.concertOptionId)
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
