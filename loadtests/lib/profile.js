// @ts-check
/**
 * The load shapes of a ticket opening. Every scenario is one of these, scaled by VUS_SCALE and
 * TIME_SCALE, and declares its thresholds through `openingOptions`.
 */
import { duration, users } from './config.js'
// Imported for its side effect too: thresholds may only name metrics that exist.
import './metrics.js'

/**
 * @typedef {object} Opening
 * @property {number} quietUsers users browsing before the sale opens
 * @property {number} peakUsers users at the height of the rush
 * @property {number} [quietFor] seconds of the quiet phase (default 60)
 * @property {number} [rushFor] seconds from the opening to the peak (default 30)
 * @property {number} [peakFor] seconds the peak lasts (default 240)
 * @property {number} [tailFor] seconds the tail takes back to the quiet level (default 120)
 */

/**
 * Quiet, then a sudden rush, a peak, and a tail: the minute a sale opens, as the load balancer
 * sees it.
 * @param {Opening} opening
 * @returns {{ startVUs: number, stages: import('k6/options').Stage[] }}
 */
export function openingStages({ quietUsers, peakUsers, quietFor = 60, rushFor = 30, peakFor = 240, tailFor = 120 }) {
  const quiet = users(quietUsers)
  return {
    startVUs: quiet,
    stages: [
      { duration: duration(quietFor), target: quiet },
      { duration: duration(rushFor), target: users(peakUsers) },
      { duration: duration(peakFor), target: users(peakUsers) },
      { duration: duration(tailFor), target: quiet },
    ],
  }
}

/**
 * @typedef {object} Steps
 * @property {number} quietUsers
 * @property {number} step users added at each step
 * @property {number} every seconds between steps
 * @property {number} upTo users at the last step
 * @property {number} holdFor seconds the last level is held
 * @property {number} [quietFor] seconds of the quiet phase (default 30)
 * @property {number} [tailFor] seconds of the tail (default 60)
 */

/**
 * Waves of users: `step` more every `every` seconds up to `upTo`, then held — a sale announced in
 * waves (fan club first, then the general public).
 * @param {Steps} steps
 * @returns {{ startVUs: number, stages: import('k6/options').Stage[] }}
 */
export function stepStages({ quietUsers, step, every, upTo, holdFor, quietFor = 30, tailFor = 60 }) {
  const quiet = users(quietUsers)
  /** @type {import('k6/options').Stage[]} */
  const stages = [{ duration: duration(quietFor), target: quiet }]
  for (let level = step; level <= upTo; level += step) {
    // Each wave arrives within a tenth of the interval, then the level holds until the next.
    stages.push({ duration: duration(every / 10), target: users(level) })
    stages.push({ duration: duration((every * 9) / 10), target: users(level) })
  }
  stages.push({ duration: duration(holdFor), target: users(upTo) })
  stages.push({ duration: duration(tailFor), target: quiet })
  return { startVUs: quiet, stages }
}

/**
 * @typedef {object} Limits
 * @property {number} p95 milliseconds
 * @property {number} p99 milliseconds
 * @property {number} [avg] milliseconds
 * @property {number} errorRate largest share of failed measured requests (0.001 = 0.1%; 0 = none at all)
 */

/**
 * Thresholds on the requests a scenario measures (tagged `measured:yes`); the waiting-room polls
 * and preparation calls around them are reported but not judged.
 * @param {Limits} limits
 * @returns {Record<string, string[]>}
 */
export function measuredThresholds({ p95, p99, avg, errorRate }) {
  const latency = [`p(95)<${p95}`, `p(99)<${p99}`]
  if (avg !== undefined) latency.push(`avg<${avg}`)
  return {
    'http_req_duration{measured:yes}': latency,
    'http_req_failed{measured:yes}': [errorRate === 0 ? 'rate==0' : `rate<${errorRate}`],
    // Listed so the summary (and the comparison report) carries the measured request count.
    'http_reqs{measured:yes}': ['count>0'],
    // A teardown that finds the books out of balance fails the run.
    invariant_violations: ['count==0'],
  }
}

/**
 * k6 options for one scenario shaped like a ticket opening.
 * @param {string} name
 * @param {{ startVUs: number, stages: import('k6/options').Stage[] }} shape
 * @param {Record<string, string[]>} thresholds
 * @returns {import('k6/options').Options}
 */
export function openingOptions(name, shape, thresholds) {
  return {
    scenarios: {
      [name]: {
        executor: 'ramping-vus',
        startVUs: shape.startVUs,
        stages: shape.stages,
        gracefulRampDown: '30s',
        gracefulStop: '30s',
      },
    },
    thresholds,
    // p(99) is not in k6's default set; the comparison report reads it from the summary.
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
    setupTimeout: '300s',
    teardownTimeout: '600s',
  }
}
