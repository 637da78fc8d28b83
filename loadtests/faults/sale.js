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
import exec from 'k6/execution'
import { chargePoints, dataOf, errorCode, expectStatus, reserveSeat } from '../lib/api.js'
import { pickAny, pickPerformance } from '../lib/catalog.js'
import { HOLD_SECONDS } from '../lib/config.js'
import { checkTheBooks } from '../lib/invariants.js'
import { seatHolds } from '../lib/metrics.js'
import { activePass, leaveStore, tokenRefused } from '../lib/queue.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { payForHold } from '../lib/sale.js'
import { think } from '../lib/users.js'

const VUS = Number(__ENV.VUS || 30)
const DURATION = Number(__ENV.DURATION || 90)
/** Enough for dozens of the dearest seats (198,000 won), in one charge. */
const WALLET = 10000000
/**
 * Buyers each VU plays in turn, one purchase each: a user who has paid leaves the store (their token is
 * revoked, and so is one admitted within 30 s after), so the same user could not buy again at once.
 */
const USERS_PER_VU = 10

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

/** The users this VU has charged points to. */
const charged = new Set()
let purchase = 0

/**
 * Holds one of the performance's seats as setup listed them, another after a 409 (someone was faster):
 * the load is on holds and payments, not on reading a list of thousands of seats before each.
 * @param {import('../lib/queue.js').Pass} pass
 * @param {import('../lib/catalog.js').Performance} performance
 * @returns {import('../lib/api.js').Hold | undefined}
 */
function holdOne(pass, performance) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const seat = pickAny(performance.seats)
    if (!seat) return undefined
    const res = reserveSeat(pass, seat.seatId, { expected: [200, 409] })
    /** @type {import('../lib/api.js').Hold | undefined} */
    const hold = dataOf(res)
    if (hold) {
      seatHolds.add(1)
      return hold
    }
    // A token revoked or expired (a payment's event, a lapse): queue again next time.
    if (tokenRefused(res)) leaveStore()
    if (errorCode(res) !== 'SEAT_UNAVAILABLE') return undefined
  }
  return undefined
}

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const performance = run.performance
  if (!performance) return think()
  // User ids base + 1 … base + VUS × USERS_PER_VU, as the teardown reads them.
  const userId = run.userBase + exec.vu.idInTest + VUS * (purchase % USERS_PER_VU)
  if (!charged.has(userId)) {
    if (!expectStatus(chargePoints(userId, WALLET), 'charge points before the sale')) return think()
    charged.add(userId)
  }
  const pass = activePass(userId)
  if (!pass) return think()
  const hold = holdOne(pass, performance)
  if (hold) {
    payForHold(pass, hold, { measured: true })
    purchase++
  }
  think(0.2, 1)
}

/** @param {import('../lib/run.js').RunData} run */
export function teardown(run) {
  // A hold whose payment a fault cut short lapses (HOLD_SECONDS, then the sweep): the books balance after.
  sleep(HOLD_SECONDS + 3)
  checkTheBooks({ run, users: VUS * USERS_PER_VU, paying: true })
}
