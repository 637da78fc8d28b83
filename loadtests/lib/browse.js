// @ts-check
/** Users behind the waiting room: queue for an ACTIVE token, then look around with it. */
import { availableDates, dataOf, expectStatus, listConcerts } from './api.js'
import { pickAny } from './catalog.js'
import { activePass, leaveStore, tokenRefused } from './queue.js'
import { think } from './users.js'

/**
 * One step of a browsing user: wait in line once (and again when the token runs out), then `look`
 * with the token. A token the gateway refuses sends the user back in line.
 * @param {number} userId
 * @param {string} what
 * @param {(pass: import('./queue.js').Pass) => import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} look
 */
export function browse(userId, what, look) {
  const pass = activePass(userId)
  if (!pass) return
  const res = look(pass)
  if (tokenRefused(res)) leaveStore()
  else expectStatus(res, what)
  think()
}

// What a VU has already seen: a user does not reload the concert list before every click.
/** @type {import('./api.js').Concert[] | undefined} */
let concerts
/** @type {Map<number, import('./api.js').ConcertDate[]>} */
const datesSeen = new Map()

/**
 * A concert this user might click on (the list is read once per VU, unmeasured).
 * @param {import('./api.js').Holder} holder
 */
export function anyConcert(holder) {
  if (!concerts || concerts.length === 0) {
    /** @type {{ concerts: import('./api.js').Concert[] } | undefined} */
    const catalog = dataOf(listConcerts(holder))
    concerts = catalog ? catalog.concerts : undefined
  }
  return pickAny(concerts || [])
}

/**
 * A dated performance of a concert this user might click on (dates are read once per concert).
 * @param {import('./api.js').Holder} holder
 */
export function anyPerformance(holder) {
  const concert = anyConcert(holder)
  if (!concert) return undefined
  let dates = datesSeen.get(concert.id)
  if (!dates) {
    /** @type {{ concerts: import('./api.js').ConcertDate[] } | undefined} */
    const view = dataOf(availableDates(holder, concert.id))
    dates = view ? view.concerts : []
    datesSeen.set(concert.id, dates)
  }
  return pickAny(dates)
}
