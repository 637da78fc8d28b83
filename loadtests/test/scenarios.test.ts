import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fromRoot } from '@stagepass/launcher'
import t from 'tap'
import { k6Binary } from './k6-run.js'

const run = promisify(execFile)

const dir = fromRoot('loadtests', 'scenarios')
const source = (name: string) => readFileSync(join(dir, `${name}.js`), 'utf8')

t.test('one scenario per public API, plus the whole journey', async (t) => {
  const expected = [
    'points-charge',
    'points-lookup',
    'queue-token-issue',
    'queue-token-status',
    'concert-list',
    'concert-dates',
    'concert-seats',
    'seat-reservation',
    'payment',
    'journey',
  ]
  t.same(
    readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
      .sort(),
    [...expected].sort(),
  )
})

/** Peak users of each scenario's full profile (docs/load-testing.md). */
const PEAKS: Record<string, number> = {
  'points-charge': 1000,
  'points-lookup': 6000,
  'queue-token-issue': 10000,
  'queue-token-status': 3000,
  'concert-list': 2000,
  'concert-dates': 4000,
  'concert-seats': 6000,
  'seat-reservation': 4000,
  payment: 1000,
  journey: 2000,
}

/**
 * One script that imports every scenario and hands k6 each one's options, JSON in a tag named after it:
 * `k6 inspect` of it compiles every scenario and its imports as a user's `k6 run` would. k6 loads its
 * script compiler once per run (2–4 CPU-seconds), so one run instead of ten saves most of that.
 */
function everyScenario(names: string[]): string {
  const imports = names.map((name, i) => `import * as s${i} from ${JSON.stringify(join(dir, name))}`)
  const tags = names.map((name, i) => `  ${JSON.stringify(name)}: JSON.stringify(s${i}.options),`)
  return [
    ...imports,
    'export const options = {',
    '  tags: {',
    ...tags,
    '  },',
    '}',
    'export default function () {}',
    '',
  ].join('\n')
}

t.test('k6 parses every scenario and reads its load shape', async (t) => {
  const k6 = k6Binary()
  const { stdout: version } = await run(k6, ['version'])
  t.comment(version.trim())
  const names = readdirSync(dir).filter((f) => f.endsWith('.js'))
  const entry = join(t.testdir({ 'every-scenario.js': everyScenario(names) }), 'every-scenario.js')
  // `k6 inspect` compiles the script and its imports and prints the options it exports.
  const { stdout } = await run(k6, ['inspect', '-e', 'VUS_SCALE=0.01', '-e', 'THINK_SECONDS=0-1', entry])
  const { tags } = JSON.parse(stdout) as { tags: Record<string, string> }
  t.same(Object.keys(tags).sort(), [...names].sort(), 'every scenario was compiled and read')
  for (const file of names) {
    const options = JSON.parse(tags[file] ?? '{}') as {
      scenarios: Record<string, { executor: string; stages: Array<{ target: number }> }>
      thresholds: Record<string, unknown>
    }
    const [scenario, ...others] = Object.values(options.scenarios ?? {})
    t.equal(others.length, 0, `${file}: one scenario`)
    t.equal(scenario?.executor, 'ramping-vus', `${file}: users ramp up and down`)
    t.ok((scenario?.stages.length ?? 0) >= 4, `${file}: quiet, rush, peak and tail`)
    const peak = Math.max(...(scenario?.stages ?? []).map((stage) => stage.target))
    t.equal(peak, (PEAKS[file.slice(0, -3)] ?? Number.NaN) / 100, `${file}: its peak, scaled by VUS_SCALE`)
    t.ok(options.thresholds?.['http_req_failed{measured:yes}'], `${file}: judges its measured requests`)
  }
})

t.test('a scenario k6 cannot compile fails the inspection', async (t) => {
  const broken = t.testdir({
    'broken.js': 'export const options = { ...{ vus: 1 } }\nexport default function () {}\n',
    'every-scenario.js': `import * as s0 from './broken.js'\nexport const options = { tags: { b: JSON.stringify(s0.options) } }\nexport default function () {}\n`,
  })
  // Object spread: the syntax k6 v0.49's compiler rejects, which a scenario once used (issue 12 §0).
  const refusal = await run(k6Binary(), ['inspect', join(broken, 'every-scenario.js')]).then(
    () => ({ stderr: 'k6 accepted it' }),
    (error: { stderr: string }) => error,
  )
  t.match(refusal.stderr, /SyntaxError: \S*broken\.js: Unexpected token/, 'k6 refuses it, naming the scenario')
})

t.test('a pause that is not a range of seconds is refused before any user starts', async (t) => {
  for (const value of ['1-0', 'fast']) {
    const refusal = await run(k6Binary(), [
      'inspect',
      '-e',
      `THINK_SECONDS=${value}`,
      join(dir, 'queue-token-issue.js'),
    ]).then(
      () => ({ stderr: 'k6 accepted it' }),
      (error: { stderr: string }) => error,
    )
    // k6 logs the error with its quotes escaped.
    t.match(refusal.stderr, new RegExp(`THINK_SECONDS must be a range of seconds like 0-1, got \\\\?"${value}`), value)
  }
})

t.test('the load each scenario reaches, as the issue sets it', async (t) => {
  t.match(source('points-charge'), /const PEAK = 1000\b/)
  t.match(source('points-charge'), /quietUsers: 50, peakUsers: PEAK/)
  t.match(source('points-charge'), /p95: 3000, p99: 5000, avg: 1000, errorRate: 0\.001/)
  t.match(source('points-lookup'), /peakUsers: 6000/)
  t.match(source('queue-token-issue'), /step: 1000, every: 60, upTo: 10000/)
  t.match(source('queue-token-issue'), /p95: 1000, p99: \d+, errorRate: 0\.01/)
  t.match(source('queue-token-status'), /peakUsers: 3000/)
  for (const [name, peak] of [
    ['concert-list', 2000],
    ['concert-dates', 4000],
    ['concert-seats', 6000],
  ] as const) {
    t.match(source(name), new RegExp(`const PEAK = ${peak}\\b`), `${name} reaches ${peak}`)
    t.match(source(name), /browse\(vuUser/, `${name} waits in line for an ACTIVE token first`)
  }
  t.match(source('seat-reservation'), /const PEAK = 4000\b/)
  t.match(source('seat-reservation'), /const SEATS = 100\b/)
  t.match(source('seat-reservation'), /unexpected_statuses: \['count==0'\]/, 'nothing but 200 or 409')
  t.match(source('payment'), /const PEAK = 1000\b/)
  t.match(
    source('payment'),
    /payments_completed: \[`count==\$\{Math\.min\(users\(PEAK\), SEATS\)\}`\]/,
    'exactly one payment per seat',
  )
})

t.test('the sale scenarios check the books in teardown', async (t) => {
  t.match(
    source('seat-reservation'),
    /export function teardown\(run\) \{\s+checkTheBooks\(\{ run, users: users\(PEAK\), paying: false \}\)/,
  )
  t.match(
    source('payment'),
    /export function teardown\(run\) \{\s+checkTheBooks\(\{ run, users: users\(PEAK\), paying: true \}\)/,
  )
})
