// @ts-check
/**
 * POST /concerts/reserve-seat: up to 4,000 admitted users compete for the 100 seats of one
 * performance. Every answer must be 200 (held) or 409 (someone was faster) — nothing else. Teardown
 * checks the books through the API: nobody paid, no points moved, no seat listed twice.
 * k6 run loadtests/scenarios/seat-reservation.js
 */

import { pickPerformance } from '../lib/catalog.js'
import { HOLD_SECONDS, TIME_SCALE, users } from '../lib/config.js'
import { checkTheBooks } from '../lib/invariants.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { activePass } from '../lib/queue.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { holdAnySeat } from '../lib/sale.js'
import { think, vuUser } from '../lib/users.js'

const PEAK = 4000
const SEATS = 100
const shape = openingStages({ quietUsers: 200, peakUsers: PEAK, quietFor: 30, rushFor: 15, peakFor: 120, tailFor: 60 })
/** A seat can be held again once a hold lapses: at most one live hold per seat per hold period. */
const holdPeriods = 1 + Math.floor(((30 + 15 + 120 + 60) * TIME_SCALE + 60) / HOLD_SECONDS)

export const options = openingOptions(
  'seat_reservation',
  shape,
  Object.assign(measuredThresholds({ p95: 2000, p99: 5000, errorRate: 0 }), {
    // Every reserve answer is 200 or 409; anything else fails the run.
    unexpected_statuses: ['count==0'],
    seat_holds: [`count<=${SEATS * holdPeriods}`],
  }),
)

/** @returns {import('../lib/run.js').RunData} */
export function setup() {
  makeRoomFor({ users: users(PEAK) })
  const run = startRun({ inspector: true })
  const inspector = /** @type {import('../lib/api.js').Holder} */ (run.inspector)
  return Object.assign(run, { performance: pickPerformance(inspector, SEATS) })
}

let done = false

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const performance = run.performance
  if (done || !performance) return think()
  const pass = activePass(vuUser(run.userBase))
  if (!pass) return
  const attempt = holdAnySeat(pass, performance.concertOptionId, { measureReserve: true })
  // Holding one seat (or finding none left) ends this user's part; a refused token queues again.
  done = attempt.outcome !== 'token-refused'
  think()
}

/** @param {import('../lib/run.js').RunData} run */
export function teardown(run) {
  checkTheBooks({ run, users: users(PEAK), paying: false })
}
