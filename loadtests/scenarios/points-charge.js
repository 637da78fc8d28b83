// @ts-check
/**
 * PUT /points/charge: fans top up their wallets as the sale opens — 50 users before, 1,000 at the peak.
 * k6 run loadtests/scenarios/points-charge.js
 */
import { chargePoints, errorCode, expectStatus } from '../lib/api.js'
import { USER_AUTH, users } from '../lib/config.js'
import { chargesCapped } from '../lib/metrics.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { startRun } from '../lib/run.js'
import { think, vuUser } from '../lib/users.js'

const PEAK = 1000

export const options = openingOptions(
  'points_charge',
  openingStages({ quietUsers: 50, peakUsers: PEAK }),
  measuredThresholds({ p95: 3000, p99: 5000, avg: 1000, errorRate: 0.001 }),
)

export const setup = () => startRun()

/**
 * With user tokens on, the point context caps what a signed-in user charges in 24 hours
 * (POINT_DAILY_CHARGE_LIMIT; over it, 409 DAILY_CHARGE_LIMIT). A fan who reaches the cap is done
 * and the VU plays a new one: its n-th user is its first + n × (peak users + 1), so no two VUs meet.
 */
let usersCapped = 0

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const userId = vuUser(run.userBase) + usersCapped * (users(PEAK) + 1)
  const amount = 1000 * (1 + Math.floor(Math.random() * 100))
  const res = chargePoints(userId, amount, { measured: true, expected: USER_AUTH === 'jwt' ? [200, 409] : [200] })
  if (USER_AUTH === 'jwt' && errorCode(res) === 'DAILY_CHARGE_LIMIT') {
    chargesCapped.add(1)
    usersCapped++
  } else expectStatus(res, 'charge points')
  think()
}
