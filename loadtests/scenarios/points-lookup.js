// @ts-check
/**
 * GET /points/current/:userId: buyers check their balance while they wait — up to 6,000 users.
 * k6 run loadtests/scenarios/points-lookup.js
 */
import { chargePoints, currentPoints, expectStatus } from '../lib/api.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { startRun } from '../lib/run.js'
import { think, vuUser } from '../lib/users.js'

export const options = openingOptions(
  'points_lookup',
  openingStages({ quietUsers: 300, peakUsers: 6000 }),
  measuredThresholds({ p95: 1000, p99: 2000, errorRate: 0.001 }),
)

export const setup = () => startRun()

let charged = false

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const userId = vuUser(run.userBase)
  // Half the users have topped up before; the others look at an empty (0) wallet.
  if (!charged && userId % 2 === 0) chargePoints(userId, 200000)
  charged = true
  expectStatus(currentPoints(userId, { measured: true }), 'read the balance')
  think()
}
