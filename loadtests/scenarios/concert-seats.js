// @ts-check
/**
 * GET /concerts/:concertOptionId/available-seats: admitted users look at the seat map of a
 * performance — up to 6,000 users, each first waiting in line for an ACTIVE token.
 * k6 run loadtests/scenarios/concert-seats.js
 */
import { availableSeats } from '../lib/api.js'
import { anyPerformance, browse } from '../lib/browse.js'
import { users } from '../lib/config.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { vuUser } from '../lib/users.js'

const PEAK = 6000

export const options = openingOptions(
  'concert_seats',
  openingStages({ quietUsers: 300, peakUsers: PEAK }),
  measuredThresholds({ p95: 1000, p99: 2000, errorRate: 0.01 }),
)

export function setup() {
  makeRoomFor({ users: users(PEAK) })
  return startRun()
}

/** @param {import('../lib/api.js').ConcertDate | undefined} performance */
const optionIdOf = (performance) => (performance ? performance.concertOptionId : 1)

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  browse(vuUser(run.userBase), 'list the free seats of a performance', (pass) =>
    availableSeats(pass, optionIdOf(anyPerformance(pass)), { measured: true }),
  )
}
