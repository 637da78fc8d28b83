import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { seedDemoData } from '@stagepass/db'
import { COMPILED_K6 } from '@stagepass/launcher'
import { startSystem } from '@stagepass/testkit'
import t from 'tap'
import { compiledScenario } from '../compare/k6.js'
import { type K6Outcome, k6Binary, runK6 } from './k6-run.js'
import { judgeRun, smokeEnv } from './smoke.js'

/**
 * Every scenario, at smoke scale, under the real k6 against the real split system: setup, the
 * scenario's own load shape with its time and user counts scaled down (a few users at once, a few
 * seconds per stage), teardown, and the scenario's own thresholds and checks.
 */
t.test('every scenario runs under k6 against the real API and meets its thresholds', async (t) => {
  k6Binary()
  const system = await startSystem(t, { mode: 'split' })
  // A small catalog; option 1 always has its 30 seats (what the sale scenarios sell).
  await seedDemoData(system.db, { concerts: 3, optionsPerConcert: 2, seatsPerOption: 30 })
  const base = Math.floor(Date.now() / 1000) * 1_000_000
  const scenario = (name: string, { env = {} as Record<string, string>, script = compiledScenario(name) } = {}) =>
    runK6(script, { env: smokeEnv(system, env) })
  const judge = (name: string, outcome: K6Outcome) => judgeRun(t, name, outcome)

  // The books check has teeth: a hold left unpaid in a paying sale is reported. A CommonJS script
  // beside the compiled scenarios, so it runs as they do.
  const probe = join(COMPILED_K6, 'books-probe', 'unpaid-hold.js')
  mkdirSync(dirname(probe), { recursive: true })
  t.teardown(() => rmSync(dirname(probe), { recursive: true, force: true }))
  writeFileSync(
    probe,
    [
      "const { pickPerformance } = require('../lib/catalog.js')",
      "const { checkTheBooks } = require('../lib/invariants.js')",
      "const { activePass } = require('../lib/queue.js')",
      "const { startRun } = require('../lib/run.js')",
      "const { holdAnySeat } = require('../lib/sale.js')",
      "const { vuUser } = require('../lib/users.js')",
      'exports.options = { vus: 1, iterations: 1, thresholds: { invariant_violations: ["count==0"] } }',
      'exports.setup = function () {',
      '  const run = startRun({ inspector: true })',
      '  return Object.assign(run, { performance: pickPerformance(run.inspector, 1) })',
      '}',
      'exports.default = function (run) {',
      '  const pass = activePass(vuUser(run.userBase))',
      '  if (pass) holdAnySeat(pass, run.performance.concertOptionId)',
      '}',
      'exports.teardown = function (run) {',
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
    scenario('seat-reservation', { env: { USER_BASE: String(base + 70_000), CONCERT_OPTION_ID: '2' } }),
    scenario('payment', { env: { USER_BASE: String(base + 80_000), CONCERT_OPTION_ID: '1' } }),
    scenario('unpaid-hold', {
      script: probe,
      env: { USER_BASE: String(base + 100_000), CONCERT_OPTION_ID: '3' },
    }),
  ])
  const outcomes = { charge, lookup, issue, status, list, dates, seats, reservation, payment }
  for (const [name, outcome] of Object.entries(outcomes)) judge(name, outcome)

  const only200 = (outcome: K6Outcome, route: string) => {
    const byStatus = outcome.statuses[route] ?? {}
    return Object.keys(byStatus).length === 1 && (byStatus['200'] ?? 0) > 0
  }
  t.ok(only200(charge, 'PUT /points/charge'), 'charges went through the gateway', charge.statuses)
  t.ok(only200(lookup, 'GET /points/current/:userId'), 'balances were read', lookup.statuses)
  t.ok(only200(issue, 'POST /queue/tokens'), 'new users took places in line', issue.statuses)
  t.ok(status.statuses['GET /queue/tokens/status/:userId']?.['200'], 'users in line polled', status.statuses)
  t.ok(only200(list, 'GET /concerts'), 'admitted users listed the concerts', list.statuses)
  t.ok(only200(dates, 'GET /concerts/:concertId/available-dates'), 'and the dates of one', dates.statuses)
  t.ok(only200(seats, 'GET /concerts/:concertOptionId/available-seats'), 'and the seats of one', seats.statuses)
  t.equal(reservation.counters.seat_holds, 12, 'each of the twelve users held a seat')
  t.equal(payment.counters.payments_completed, 3, 'each of the three users paid for one')
  t.equal(payment.counters.invariant_violations, 0, 'the books balance after the sale')
  t.ok(payment.checks['the books balance after the sale']?.passes, 'the teardown checked the books')

  // The journey buys from random performances: after the sale scenarios, whose books it would muddle.
  const journey = await scenario('journey', { env: { USER_BASE: String(base + 90_000) } })
  judge('journey', journey)
  t.ok((journey.counters.payments_completed ?? 0) > 0, 'buyers went from the line to a paid seat', journey.counters)

  t.equal(unpaid.code, 99, 'the probe ran and failed', { stderr: unpaid.stderr.slice(-4000) })
  t.equal(unpaid.counters.invariant_violations, 1, 'one invariant broken')
  t.match(unpaid.errors, [/invariant broken: seats sold \(1 left the AVAILABLE list\) ≠ payments made \(0\)/])
  t.same(
    unpaid.thresholds.filter((th) => !th.ok).map((th) => th.metric),
    ['invariant_violations'],
    'its threshold crossed',
  )
})
