import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { seedDemoData } from '@stagepass/db'
import { fromRoot } from '@stagepass/launcher'
import { startSystem } from '@stagepass/testkit'
import t from 'tap'

const run = promisify(execFile)
const shim = fromRoot('loadtests', 'dist', 'test', 'k6-shim')

interface Outcome {
  error?: string
  thresholds: Array<{ metric: string; expression: string; value: number; ok: boolean }>
  checks: Record<string, { passes: number; fails: number }>
  statuses: Record<string, Record<string, number>>
  counters: Record<string, number>
  failures: string[]
}

/**
 * Every scenario, at smoke scale, against the real split system, through the k6 stand-in (this
 * machine has no k6): setup, a few users' iterations, teardown, then the scenario's own thresholds
 * (all but latency: that is for a load rig, not a shared test machine).
 */
t.test('every scenario runs against the real API and meets its thresholds', async (t) => {
  const system = await startSystem(t, { mode: 'split' })
  // A small catalog; option 1 always has its 100 seats (what the sale scenarios sell).
  await seedDemoData(system.db, { concerts: 3, optionsPerConcert: 2, seatsPerOption: 30 })
  const queue = system.processes.find((p) => p.spec.name === 'queue')
  const base = Math.floor(Date.now() / 1000) * 1_000_000

  async function scenario(
    name: string,
    {
      vus = 2,
      iterations = 2,
      env = {} as Record<string, string>,
      script = fromRoot('loadtests', 'scenarios', `${name}.js`),
    } = {},
  ) {
    const { stdout } = await run(
      process.execPath,
      ['--import', `${shim}/register.js`, `${shim}/runner.js`, script, String(vus), String(iterations)],
      {
        env: {
          ...process.env,
          BASE_URL: system.baseUrl,
          // users(1000) = 3, users(4000) = 12: the teardowns read the books of exactly these users.
          VUS_SCALE: '0.003',
          TIME_SCALE: '0.01',
          QUEUE_ADMIN_URL: `http://127.0.0.1:${queue?.spec.port}`,
          QUEUE_ADMIN_KEY: 'stagepass-development-admin-key',
          SHIM_SLEEP_SCALE: '0.02',
          QUEUE_WAIT_LIMIT: '60',
          ...env,
        },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 150_000,
      },
    )
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Outcome
  }

  function judge(name: string, outcome: Outcome) {
    t.notOk(outcome.error, `${name} ran to the end`, { error: outcome.error })
    for (const [check, counts] of Object.entries(outcome.checks)) {
      t.equal(counts.fails, 0, `${name}: check "${check}" held (${counts.passes} times)`)
    }
    // Latency thresholds are for a load rig; here the machine is shared, so only the rest is judged.
    for (const threshold of outcome.thresholds.filter((th) => !th.metric.startsWith('http_req_duration'))) {
      t.ok(threshold.ok, `${name}: ${threshold.metric} ${threshold.expression} (${threshold.value})`, {
        statuses: outcome.statuses,
      })
    }
    t.same(outcome.failures, [], `${name}: nothing failed the run`)
    t.notOk(outcome.counters.unexpected_statuses, `${name}: no unexpected status`, { statuses: outcome.statuses })
  }

  // The books check has teeth: a hold left unpaid in a paying sale is reported.
  const probe = join(fromRoot('loadtests', 'dist'), 'books-probe', 'unpaid-hold.js')
  mkdirSync(dirname(probe), { recursive: true })
  t.teardown(() => rmSync(dirname(probe), { recursive: true, force: true }))
  writeFileSync(
    probe,
    [
      "import { pickPerformance } from '../../lib/catalog.js'",
      "import { checkTheBooks } from '../../lib/invariants.js'",
      "import { activePass } from '../../lib/queue.js'",
      "import { startRun } from '../../lib/run.js'",
      "import { holdAnySeat } from '../../lib/sale.js'",
      "import { vuUser } from '../../lib/users.js'",
      'export const options = { thresholds: { invariant_violations: ["count==0"] } }',
      'export function setup() {',
      '  const run = startRun({ inspector: true })',
      '  return { ...run, performance: pickPerformance(run.inspectorToken, 1) }',
      '}',
      'export default function (run) {',
      '  const pass = activePass(vuUser(run.userBase))',
      '  if (pass) holdAnySeat(pass, run.performance.concertOptionId)',
      '}',
      'export function teardown(run) {',
      '  checkTheBooks({ run, users: 1, paying: true })',
      '}',
      '',
    ].join('\n'),
  )
  // Sale scenarios on performances of their own, so one's holds are not another's missing payments.
  const [charge, lookup, issue, status, list, dates, seats, reservation, payment, unpaid] = await Promise.all([
    scenario('points-charge', { env: { USER_BASE: String(base) } }),
    scenario('points-lookup', { env: { USER_BASE: String(base + 10_000) } }),
    scenario('queue-token-issue', { env: { USER_BASE: String(base + 20_000) } }),
    scenario('queue-token-status', { env: { USER_BASE: String(base + 30_000) } }),
    scenario('concert-list', { env: { USER_BASE: String(base + 40_000) } }),
    scenario('concert-dates', { env: { USER_BASE: String(base + 50_000) } }),
    scenario('concert-seats', { env: { USER_BASE: String(base + 60_000) } }),
    scenario('seat-reservation', {
      vus: 3,
      iterations: 1,
      env: { USER_BASE: String(base + 70_000), CONCERT_OPTION_ID: '2' },
    }),
    scenario('payment', { vus: 3, iterations: 1, env: { USER_BASE: String(base + 80_000), CONCERT_OPTION_ID: '1' } }),
    scenario('unpaid-hold', {
      vus: 1,
      iterations: 1,
      script: probe,
      env: { USER_BASE: String(base + 100_000), CONCERT_OPTION_ID: '3' },
    }),
  ])
  const outcomes = { charge, lookup, issue, status, list, dates, seats, reservation, payment }
  for (const [name, outcome] of Object.entries(outcomes)) judge(name, outcome)

  t.equal(charge.statuses['PUT /points/charge']?.['200'], 4, 'charges went through the gateway')
  t.equal(issue.statuses['POST /queue/tokens']?.['200'], 4, 'four new users took a place in line')
  t.ok(list.statuses['GET /concerts']?.['200'], 'admitted users listed the concerts')
  t.ok(dates.statuses['GET /concerts/:concertId/available-dates']?.['200'], 'and the dates of one')
  t.ok(seats.statuses['GET /concerts/:concertOptionId/available-seats']?.['200'], 'and the seats of one')
  t.equal(reservation.counters.seat_holds, 3, 'each of the three users held a seat')
  t.equal(payment.counters.payments_completed, 3, 'each of the three users paid for one')
  t.equal(payment.counters.invariant_violations ?? 0, 0, 'the books balance after the sale')
  t.ok(payment.checks['the books balance after the sale']?.passes, 'the teardown checked the books')

  // The journey buys from random performances: after the sale scenarios, whose books it would muddle.
  const journey = await scenario('journey', { vus: 2, iterations: 1, env: { USER_BASE: String(base + 90_000) } })
  judge('journey', journey)
  t.equal(journey.counters.payments_completed, 2, 'two buyers went from the line to a paid seat')

  t.notOk(unpaid.error, 'the probe ran', { error: unpaid.error })
  t.equal(unpaid.counters.invariant_violations, 1, 'one invariant broken')
  t.match(unpaid.failures, [/1 invariants broken after the sale/], 'the run is failed')
  t.notOk(unpaid.thresholds[0]?.ok, 'and its threshold crossed')
})
