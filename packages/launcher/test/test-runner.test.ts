import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { bundleTests } from '@stagepass/bundle'
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

t.test('a file run as its bundle finds the files its modules find, and its failures point at its source', async (t) => {
  const dir = t.testdir({
    lib: {
      'note.txt': 'beside the library',
      // An ES module that reads a file next to it, and a CommonJS one.
      'where.mjs': `import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
export const here = fileURLToPath(import.meta.url)
export const note = readFileSync(new URL('./note.txt', import.meta.url), 'utf8')
`,
      'legacy.cjs': `const { readFileSync } = require('node:fs')
module.exports = { dir: __dirname, note: readFileSync(__dirname + '/note.txt', 'utf8') }
`,
    },
    'in-place.test.mjs': `import t from 'tap'
import { fileURLToPath } from 'node:url'
import { here, note } from './lib/where.mjs'
import legacy from './lib/legacy.cjs'
t.equal(here, fileURLToPath(new URL('./lib/where.mjs', import.meta.url)), 'import.meta.url is the module\\'s own')
t.equal(note, 'beside the library')
t.equal(legacy.dir, fileURLToPath(new URL('./lib', import.meta.url)), '__dirname is the module\\'s own')
t.equal(legacy.note, 'beside the library')
`,
    'fails.test.mjs': `import t from 'tap'

t.equal(1, 2, 'fails on line three')
`,
  })
  const files = [join(dir, 'in-place.test.mjs'), join(dir, 'fails.test.mjs')]
  const bundles = await bundleTests({ root: dir, files, outdir: join(dir, 'bundled') })
  t.ok(
    files.every((file) => bundles.get(file)?.startsWith(join(dir, 'bundled'))),
    'every file has its bundle',
  )
  const output = new PassThrough()
  const chunks: string[] = []
  output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
  const outcomes = await runTestFiles(files, { jobs: 2, timeoutSeconds: 30 }, { ...process.env }, output, (file) =>
    String(bundles.get(file)),
  )
  const byName = new Map(outcomes.map((o) => [o.file.slice(dir.length + 1), o]))
  t.match(byName.get('in-place.test.mjs'), { ok: true, assertions: 4, failed: 0 }, 'every module found its files')
  t.match(byName.get('fails.test.mjs'), { ok: false, failed: 1 })
  t.match(chunks.join(''), /fileName: \S*fails\.test\.mjs\s+lineNumber: 3\b/, 'the failure names the source line')
})
