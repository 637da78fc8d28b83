// @ts-check
/**
 * POST /queue/tokens: the sale is announced in waves — 1,000 more users every minute up to 10,000,
 * then held. Every iteration is a new user taking a place in line.
 * k6 run loadtests/scenarios/queue-token-issue.js
 */
import { check } from 'k6'
import { dataOf, expectStatus, joinQueue } from '../lib/api.js'
import { measuredThresholds, openingOptions, stepStages } from '../lib/profile.js'
import { startRun } from '../lib/run.js'
import { iterationUser, think } from '../lib/users.js'

export const options = openingOptions(
  'queue_token_issue',
  stepStages({ quietUsers: 100, step: 1000, every: 60, upTo: 10000, holdFor: 180 }),
  measuredThresholds({ p95: 1000, p99: 2000, errorRate: 0.01 }),
)

export const setup = () => startRun()

/** @param {import('../lib/run.js').RunData} run */
export default function (run) {
  const res = joinQueue(iterationUser(run.userBase), { measured: true })
  expectStatus(res, 'take a place in line')
  /** @type {import('../lib/api.js').Ticket | undefined} */
  const ticket = dataOf(res)
  check(ticket, { 'the ticket is signed and has a place': (t) => !!t && t.token.length > 0 && t.queueOrder >= 0 })
  think()
}
