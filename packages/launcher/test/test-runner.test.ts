import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { runTestFiles, testRunSettings } from '../src/test-runner.js'

/** Test files as the runner meets them, written where `tap` resolves from this package. */
const FILES = {
  'passes.test.mjs': `import t from 'tap'\nt.test('two checks', async (t) => { t.ok(true); t.equal(1, 1) })\n`,
  'fails.test.mjs': `import t from 'tap'\nt.test('one check fails', async (t) => { t.ok(true); t.equal(1, 2) })\n`,
  'throws.test.mjs': `import t from 'tap'\nthrow new Error('broken before any test')\n`,
  'exit-code.test.mjs': `import t from 'tap'\nt.ok(true)\nprocess.on('exit', () => { process.exitCode = 3 })\n`,
  'short-plan.test.mjs': `console.log('TAP version 14\\n1..2\\nok 1 - the first of two')\n`,
  'hangs.test.mjs': `import t from 'tap'\nt.test('never ends', () => new Promise(() => {}))\n`,
  'skips.test.mjs': `import t from 'tap'\nt.test('skipped', { skip: 'not here' }, async () => {})\nt.ok(true)\n`,
}

t.test('a file passes only when every check passed, its plan was met and it exited cleanly', async (t) => {
  const dir = t.testdir(FILES)
  const output = new PassThrough()
  const chunks: string[] = []
  output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
  const outcomes = await runTestFiles(
    Object.keys(FILES).map((name) => join(dir, name)),
    { jobs: 3, timeoutSeconds: 1 },
    { ...process.env },
    output,
  )
  const byName = new Map(outcomes.map((o) => [o.file.slice(dir.length + 1), o]))
  t.equal(outcomes.length, Object.keys(FILES).length, 'every file ran once')
  t.match(byName.get('passes.test.mjs'), { ok: true, assertions: 2, failed: 0 }, 'passing checks pass')
  t.match(byName.get('fails.test.mjs'), { ok: false, assertions: 2, failed: 1 }, 'a failed check fails the file')
  t.match(byName.get('throws.test.mjs'), { ok: false }, 'a file that throws fails')
  t.match(byName.get('exit-code.test.mjs'), { ok: false }, 'a file that exits non-zero fails, whatever it printed')
  t.match(byName.get('short-plan.test.mjs'), { ok: false }, 'a file that stops short of its plan fails')
  t.match(byName.get('hangs.test.mjs'), { ok: false }, 'a test that never ends fails at the timeout')
  t.match(byName.get('skips.test.mjs'), { ok: true, skipped: 1 }, 'a skip is counted, and passes')

  const tap = chunks.join('')
  t.match(tap, /^TAP version 14\n1\.\.7\n/, 'one TAP stream, its plan first')
  t.equal(tap.match(/^not ok \d+ - /gm)?.length, 5, 'a result line per failed file')
  t.match(tap, /# Subtest: \S+fails\.test\.mjs\n(.*\n)*?\s+not ok \d+ - should be equal/, "with the file's own output")
  t.match(tap, /# files: 7, failed: 5; assertions: \d+, failed: \d+, skipped: 1\n/, 'and a summary')
})

t.test('jobs and timeout come from the .taprc that tap reads too', async (t) => {
  const settings = testRunSettings()
  t.ok(Number.isInteger(settings.jobs) && settings.jobs >= 1, `jobs: ${settings.jobs}`)
  t.ok(settings.timeoutSeconds >= 60, `timeout: ${settings.timeoutSeconds} s`)
})
