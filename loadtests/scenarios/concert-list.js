// @ts-check
/**
 * GET /concerts: admitted users open the catalog — up to 2,000 users, each first waiting in line
 * for an ACTIVE token.
 * k6 run loadtests/scenarios/concert-list.js
 */
import { listConcerts } from '../lib/api.js'
import { browse } from '../lib/browse.js'
import { users } from '../lib/config.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { vuUser } from '../lib/users.js'

const PEAK = 2000

export const options = openingOptions(
  'concert_list',
  openingStages({ quietUsers: 100, peakUsers: PEAK }),
  measuredThresholds({ p95: 1000, p99: 2000, errorRate: 0.01 }),
)

export function setup() {
  makeRoomFor({ users: users(PEAK) })
  return startRun()
}

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  browse(vuUser(run.userBase), 'list concerts', (pass) => listConcerts(pass, { measured: true }))
}
