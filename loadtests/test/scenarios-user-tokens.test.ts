import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { seedDemoData } from '@stagepass/db'
import { fromRoot } from '@stagepass/launcher'
import { startSystem } from '@stagepass/testkit'
import t from 'tap'
import { compiledScenario } from '../compare/k6.js'
import { type K6Outcome, k6Binary, runK6 } from './k6-run.js'
import { judgeRun, smokeEnv } from './smoke.js'

const run = promisify(execFile)
const DAILY_LIMIT = 1_000_000

/** A user token from the project's own command (`npm run user-token`), as a load tester would get one. */
async function userToken(userId: number): Promise<string> {
  const { stdout } = await run(process.execPath, [
    fromRoot('packages', 'launcher', 'dist', 'src', 'cli.js'),
    'user-token',
    String(userId),
  ])
  return stdout.trim()
}

/**
 * The scenarios against a system with user tokens on (USER_AUTH=jwt, and X-User-Token required on
 * the guarded routes, so every request proves it carries the right user's token): the scenarios
 * sign their own, and a run without them is refused.
 */
t.test('with USER_AUTH=jwt the scenarios sign their users in and meet their thresholds', async (t) => {
  k6Binary()
  const system = await startSystem(t, {
    mode: 'split',
    env: { USER_AUTH: 'jwt', USER_TOKEN_ON_GUARDED: 'required', POINT_DAILY_CHARGE_LIMIT: String(DAILY_LIMIT) },
  })
  await seedDemoData(system.db, { concerts: 3, optionsPerConcert: 2, seatsPerOption: 30 })
  const base = Math.floor(Date.now() / 1000) * 1_000_000 + 500_000
  const scenario = (name: string, env: Record<string, string>) =>
    runK6(compiledScenario(name), { env: smokeEnv(system, env) })

  /** A run that meets its scenario's bar, and whose every request its user's tokens let through. */
  function judge(name: string, outcome: K6Outcome) {
    judgeRun(t, name, outcome)
    for (const [route, byStatus] of Object.entries(outcome.statuses)) {
      t.notOk(byStatus['401'] || byStatus['403'], `${name}: ${route} was never refused`, byStatus)
    }
  }

  // points-charge's three VU users have already charged their daily limit: each VU's first charge is
  // refused, and it goes on with a new user.
  const chargeBase = base + 30_000
  const capped = [1, 2, 3].map((vu) => chargeBase + vu)
  const tokens = await Promise.all(capped.map(userToken))
  const charges = await Promise.all(
    capped.map((userId, i) =>
      fetch(`${system.baseUrl}/points/charge`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
        body: JSON.stringify({ userId, amount: DAILY_LIMIT }),
      }),
    ),
  )
  for (const [i, userId] of capped.entries()) t.equal(charges[i]?.status, 200, `user ${userId} charged the daily limit`)

  const [payment, charge, unsigned] = await Promise.all([
    scenario('payment', { USER_AUTH: 'jwt', USER_BASE: String(base + 10_000), CONCERT_OPTION_ID: '1' }),
    scenario('points-charge', { USER_AUTH: 'jwt', USER_BASE: String(chargeBase) }),
    scenario('points-charge', { USER_BASE: String(base + 40_000) }),
  ])
  // The journey buys from random performances: after the sale, whose books it would muddle.
  const journey = await scenario('journey', { USER_AUTH: 'jwt', USER_BASE: String(base) })

  judge('journey', journey)
  t.ok((journey.counters.payments_completed ?? 0) > 0, 'buyers went from the line to a paid seat', journey.counters)
  judge('payment', payment)
  t.equal(payment.counters.payments_completed, 3, 'each of the three users paid for a seat')
  t.ok(payment.checks['the books balance after the sale']?.passes, 'the teardown read the books as each user')
  judge('points-charge', charge)
  t.equal(charge.counters.charges_capped, 3, 'each VU’s first user was over the limit')
  t.ok(charge.statuses['PUT /points/charge']?.['200'], 'and its next user charged', charge.statuses)

  // Without user tokens the same scenario is refused: the tokens above are what let it in.
  t.equal(unsigned.code, 99, 'a run without user tokens fails its thresholds')
  t.same(Object.keys(unsigned.statuses['PUT /points/charge'] ?? {}), ['401'], 'every charge was refused')
})
