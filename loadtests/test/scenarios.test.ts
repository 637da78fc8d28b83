import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fromRoot } from '@stagepass/launcher'
import t from 'tap'

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

t.test('the load each scenario reaches, as the issue sets it', async (t) => {
  t.match(source('points-charge'), /quietUsers: 50, peakUsers: 1000/)
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
