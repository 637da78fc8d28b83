// @ts-check
/**
 * POST /payment/pay: 1,000 admitted users with enough points compete for 100 seats; whoever holds
 * a seat pays for it. Exactly one payment per seat: 100 payments (or one per user when fewer users
 * run). Teardown checks the books through the API: seats sold = payments made, no seat sold twice,
 * points moved = prices paid, every balance equal to its history.
 * k6 run loadtests/scenarios/payment.js
 */
import { chargePoints, expectStatus } from '../lib/api.js'
import { pickPerformance } from '../lib/catalog.js'
import { users } from '../lib/config.js'
import { checkTheBooks } from '../lib/invariants.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { activePass } from '../lib/queue.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { holdAnySeat, payForHold } from '../lib/sale.js'
import { think, vuUser } from '../lib/users.js'

const PEAK = 1000
const SEATS = 100
/** Enough for the dearest seat (198,000 won). */
const WALLET = 500000

export const options = openingOptions(
  'payment',
  openingStages({ quietUsers: 50, peakUsers: PEAK, quietFor: 30, rushFor: 15, peakFor: 120, tailFor: 60 }),
  Object.assign(measuredThresholds({ p95: 3000, p99: 5000, errorRate: 0.001 }), {
    payments_completed: [`count==${Math.min(users(PEAK), SEATS)}`],
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
let charged = false

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const performance = run.performance
  if (done || !performance) return think()
  const userId = vuUser(run.userBase)
  if (!charged) charged = expectStatus(chargePoints(userId, WALLET), 'charge points before the sale')
  const pass = activePass(userId)
  if (!pass) return
  const attempt = holdAnySeat(pass, performance.concertOptionId)
  if (attempt.outcome === 'held') payForHold(pass, attempt.hold, { measured: true })
  // One purchase per user; a refused token queues again.
  done = attempt.outcome !== 'token-refused'
  think()
}

/** @param {import('../lib/run.js').RunData} run */
export function teardown(run) {
  checkTheBooks({ run, users: users(PEAK), paying: true })
}
