// @ts-check
/**
 * The whole journey, end to end: a stream of new buyers — queue, top up, browse concerts, dates and
 * seats, hold one, pay — up to 2,000 at once. Every request on the way is measured.
 * k6 run loadtests/scenarios/journey.js
 */
import { availableDates, chargePoints, dataOf, expectStatus, listConcerts } from '../lib/api.js'
import { pickAny } from '../lib/catalog.js'
import { users } from '../lib/config.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { waitInLine } from '../lib/queue.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { holdAnySeat, payForHold } from '../lib/sale.js'
import { iterationUser, think } from '../lib/users.js'

const PEAK = 2000

export const options = openingOptions(
  'journey',
  openingStages({ quietUsers: 100, peakUsers: PEAK }),
  measuredThresholds({ p95: 3000, p99: 5000, errorRate: 0.01 }),
)

export function setup() {
  makeRoomFor({ users: users(PEAK) })
  return startRun()
}

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const userId = iterationUser(run.userBase)
  const measured = { measured: true }
  expectStatus(chargePoints(userId, 500000, measured), 'top up')
  const pass = waitInLine(userId, { measureJoin: true })
  if (!pass) return
  think()
  /** @type {{ concerts: import('../lib/api.js').Concert[] } | undefined} */
  const catalog = dataOf(listConcerts(pass, measured))
  const concert = pickAny(catalog ? catalog.concerts : [])
  if (!concert) return
  think()
  /** @type {{ concerts: import('../lib/api.js').ConcertDate[] } | undefined} */
  const dates = dataOf(availableDates(pass, concert.id, measured))
  const performance = pickAny((dates ? dates.concerts : []).filter((d) => d.availableSeats > 0))
  if (!performance) return
  think()
  const attempt = holdAnySeat(pass, performance.concertOptionId, {
    measureList: true,
    measureReserve: true,
    attempts: 3,
  })
  if (attempt.outcome !== 'held') return
  think()
  payForHold(pass, attempt.hold, measured)
}
