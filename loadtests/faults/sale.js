// @ts-check
/**
 * A sale that keeps going while the system is hurt: every VU is one buyer who queues, holds a seat
 * and pays for it, again and again, for DURATION seconds, while the fault suite (`stagepass faults`)
 * kills instances, restarts Redis, cuts MySQL off and rolls every process. Users are spread over
 * every gateway in BASE_URLS and move to another when theirs is gone. Every failed request is counted
 * with its time (`requests_failed`), so the suite can tell how long each fault cost; teardown waits
 * for the holds left unpaid to lapse and checks the books through the API.
 * k6 run -e BASE_URLS=… -e VUS=30 -e DURATION=90 -e HOLD_SECONDS=10 loadtests/faults/sale.js
 */
import { sleep } from 'k6'
import { chargePoints, expectStatus } from '../lib/api.js'
import { pickPerformance } from '../lib/catalog.js'
import { HOLD_SECONDS } from '../lib/config.js'
import { checkTheBooks } from '../lib/invariants.js'
import { activePass } from '../lib/queue.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { holdAnySeat, payForHold } from '../lib/sale.js'
import { think, vuUser } from '../lib/users.js'

const VUS = Number(__ENV.VUS || 30)
const DURATION = Number(__ENV.DURATION || 90)
/** Enough for a few hundred of the dearest seats (198,000 won), in one charge. */
const WALLET = 10000000

export const options = {
  scenarios: {
    faults: { executor: 'constant-vus', vus: VUS, duration: `${DURATION}s`, gracefulStop: '30s' },
  },
  // The suite judges failures per fault; here only the books are.
  thresholds: { invariant_violations: ['count==0'] },
  setupTimeout: '300s',
  teardownTimeout: '600s',
}

/** @returns {import('../lib/run.js').RunData} */
export function setup() {
  makeRoomFor({ users: VUS + 1 })
  const run = startRun({ inspector: true })
  const inspector = /** @type {import('../lib/api.js').Holder} */ (run.inspector)
  return Object.assign(run, { performance: pickPerformance(inspector, 1) })
}

let charged = false

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const performance = run.performance
  if (!performance) return think()
  const userId = vuUser(run.userBase)
  if (!charged) charged = expectStatus(chargePoints(userId, WALLET), 'charge points before the sale')
  const pass = activePass(userId)
  if (!pass) return think()
  const attempt = holdAnySeat(pass, performance.concertOptionId, { attempts: 5 })
  if (attempt.outcome === 'sold-out') return think()
  if (attempt.outcome === 'held') payForHold(pass, attempt.hold, { measured: true })
  think(0.2, 1)
}

/** @param {import('../lib/run.js').RunData} run */
export function teardown(run) {
  // A hold whose payment a fault cut short lapses (HOLD_SECONDS, then the sweep): the books balance after.
  sleep(HOLD_SECONDS + 3)
  checkTheBooks({ run, users: VUS, paying: true })
}
