/** What the scenario runs share: the smoke-scale environment, and how a run is judged. */
import type { TestSystem } from '@stagepass/testkit'
import type { Test } from 'tap'
import type { K6Outcome } from './k6-run.js'

/** Latency thresholds are for a load rig; on a shared test machine only the rest is judged. */
export const isLatency = (metric: string) => metric.startsWith('http_req_duration')

/**
 * The scenarios' environment for a smoke run against `system`: a few users at once (users(1000) = 3,
 * users(4000) = 12: the teardowns read the books of exactly these users), a few seconds per stage,
 * and admission raised through the queue's admin port so nobody waits behind the cap.
 */
export function smokeEnv(system: TestSystem, env: Record<string, string> = {}): Record<string, string> {
  const queue = system.processes.find((p) => p.spec.name === 'queue')
  return {
    BASE_URL: system.baseUrl,
    VUS_SCALE: '0.003',
    TIME_SCALE: '0.01',
    QUEUE_ADMIN_URL: `http://127.0.0.1:${queue?.spec.port}`,
    QUEUE_ADMIN_KEY: 'stagepass-development-admin-key',
    QUEUE_WAIT_LIMIT: '60',
    ...env,
  }
}

/**
 * A run that did what its scenario asks: k6 ran to the end (a crossed latency threshold aside), every
 * check held, every other threshold passed, nothing logged an error and no status was unexpected.
 */
export function judgeRun(t: Test, name: string, outcome: K6Outcome): void {
  const crossed = outcome.thresholds.filter((th) => !th.ok)
  const judged = outcome.thresholds.filter((th) => !isLatency(th.metric))
  t.ok(
    outcome.code === 0 || (outcome.code === 99 && crossed.every((th) => isLatency(th.metric))),
    `${name}: k6 ran to the end (exit code ${outcome.code})`,
    { stderr: outcome.stderr.slice(-4000) },
  )
  for (const [check, counts] of Object.entries(outcome.checks)) {
    t.equal(counts.fails, 0, `${name}: check "${check}" held (${counts.passes} times)`)
  }
  t.ok(judged.length > 0, `${name}: has thresholds besides latency`)
  for (const threshold of judged) {
    t.ok(threshold.ok, `${name}: ${threshold.metric} ${threshold.expression}`, { statuses: outcome.statuses })
  }
  t.same(outcome.errors, [], `${name}: nothing logged an error`)
  t.notOk(outcome.counters.unexpected_statuses, `${name}: no unexpected status`, { statuses: outcome.statuses })
}
