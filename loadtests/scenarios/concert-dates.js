// @ts-check
/**
 * GET /concerts/:concertId/available-dates: admitted users pick a concert and look at its dates —
 * up to 4,000 users, each first waiting in line for an ACTIVE token.
 * k6 run loadtests/scenarios/concert-dates.js
 */
import { availableDates } from '../lib/api.js'
import { anyConcert, browse } from '../lib/browse.js'
import { users } from '../lib/config.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { makeRoomFor, startRun } from '../lib/run.js'
import { vuUser } from '../lib/users.js'

const PEAK = 4000

export const options = openingOptions(
  'concert_dates',
  openingStages({ quietUsers: 200, peakUsers: PEAK }),
  measuredThresholds({ p95: 1000, p99: 2000, errorRate: 0.01 }),
)

export function setup() {
  makeRoomFor({ users: users(PEAK) })
  return startRun()
}

/** @param {import('../lib/api.js').Concert | undefined} concert */
const concertIdOf = (concert) => (concert ? concert.id : 1)

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  browse(vuUser(run.userBase), 'list the dates of a concert', (pass) =>
    availableDates(pass, concertIdOf(anyConcert(pass)), { measured: true }),
  )
}
