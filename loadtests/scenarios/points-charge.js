// @ts-check
/**
 * PUT /points/charge: fans top up their wallets as the sale opens — 50 users before, 1,000 at the peak.
 * k6 run loadtests/scenarios/points-charge.js
 */
import { chargePoints, expectStatus } from '../lib/api.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { startRun } from '../lib/run.js'
import { think, vuUser } from '../lib/users.js'

export const options = openingOptions(
  'points_charge',
  openingStages({ quietUsers: 50, peakUsers: 1000 }),
  measuredThresholds({ p95: 3000, p99: 5000, avg: 1000, errorRate: 0.001 }),
)

export const setup = () => startRun()

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const amount = 1000 * (1 + Math.floor(Math.random() * 100))
  expectStatus(chargePoints(vuUser(run.userBase), amount, { measured: true }), 'charge points')
  think()
}
