import t from 'tap'
import { Readiness } from '../src/index.js'

t.test('concurrent reports share the check that is running, then reuse its answer', async (t) => {
  let calls = 0
  let answer: (value: unknown) => void = () => {}
  const readiness = new Readiness({ timeoutMs: 60_000, cacheMs: 60_000 })
  readiness.add('store', () => {
    calls++
    return new Promise((resolve) => {
      answer = resolve
    })
  })
  const reports = Array.from({ length: 1000 }, () => readiness.report())
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(calls, 1, '1000 reports asked while a check runs: one check')
  answer('PONG')
  const answered = await Promise.all(reports)
  t.ok(
    answered.every((report) => report.ready && report.checks.store === 'up'),
    'all of them get its answer',
  )
  await Promise.all(Array.from({ length: 1000 }, () => readiness.report()))
  t.equal(calls, 1, 'reports within the cache time reuse it')
})

t.test('a failed check is reused for as long as a good one, and named', async (t) => {
  let calls = 0
  const readiness = new Readiness({ timeoutMs: 50, cacheMs: 60_000 })
  readiness.add('mysql', async () => 'up')
  readiness.add('redis', () => {
    calls++
    return new Promise(() => {})
  })
  const reports = await Promise.all(Array.from({ length: 100 }, () => readiness.report()))
  t.ok(
    reports.every((report) => !report.ready),
    'not ready',
  )
  t.same(reports[0]?.checks, { mysql: 'up', redis: 'down' }, 'a check that does not answer in time is down')
  await readiness.report()
  t.equal(calls, 1, 'one check for all of them')
})
