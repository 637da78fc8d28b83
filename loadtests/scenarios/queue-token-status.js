// @ts-check
/**
 * GET /queue/tokens/status/:userId: everyone in the waiting room polls — up to 3,000 users, most
 * of them WAITING behind the ACTIVE cap.
 * k6 run loadtests/scenarios/queue-token-status.js
 */
import { dataOf, expectStatus, joinQueue, tokenStatus } from '../lib/api.js'
import { measuredThresholds, openingOptions, openingStages } from '../lib/profile.js'
import { startRun } from '../lib/run.js'
import { think, vuUser } from '../lib/users.js'

export const options = openingOptions(
  'queue_token_status',
  openingStages({ quietUsers: 150, peakUsers: 3000 }),
  measuredThresholds({ p95: 1000, p99: 2000, errorRate: 0.01 }),
)

export const setup = () => startRun()

let inLine = false

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const userId = vuUser(run.userBase)
  if (!inLine) inLine = dataOf(joinQueue(userId)) !== undefined
  const res = tokenStatus(userId, { measured: true, expected: [200, 404] })
  expectStatus(res, 'poll the place in line', [200, 404])
  // 404: the token expired (ACTIVE for its whole lifetime) or the place was lost; queue again.
  if (res.status === 404) inLine = false
  think(1, 2)
}
