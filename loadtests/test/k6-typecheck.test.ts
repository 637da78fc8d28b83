import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fromRoot } from '@stagepass/launcher'
import t from 'tap'
import ts from 'typescript'

const loadtests = fromRoot('loadtests')
const configPath = join(loadtests, 'tsconfig.k6.json')

/** Type-checks the k6 scripts (plus `extra` files) as `tsc -p loadtests/tsconfig.k6.json` would. */
function typeCheck(extra: string[] = []): string[] {
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath), undefined, configPath)
  const program = ts.createProgram([...parsed.fileNames, ...extra], parsed.options)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${d.file.fileName.replace(`${loadtests}/`, '')}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1})`
      : ''
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

t.test('every k6 script type-checks against @types/k6', async (t) => {
  const scenarios = readdirSync(join(loadtests, 'scenarios')).filter((f) => f.endsWith('.js'))
  t.ok(scenarios.length >= 10, 'the scenarios are included')
  t.same(typeCheck(), [], 'no type errors')
})

t.test('the check has teeth: a wrong call is an error', async (t) => {
  // Inside loadtests/, so @types/k6 and lib/ resolve as they do for a real scenario.
  const dir = join(loadtests, 'dist', 'typecheck-probe')
  mkdirSync(dir, { recursive: true })
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const probe = join(dir, 'probe.js')
  writeFileSync(
    probe,
    [
      '// @ts-check',
      "import http from 'k6/http'",
      "import { chargePoints } from '../../lib/api.js'",
      'http.get(42)',
      "chargePoints('1', 100)",
      '',
    ].join('\n'),
  )
  const errors = typeCheck([probe]).filter((e) => e.includes('probe.js'))
  t.equal(errors.length, 2, 'both mistakes are reported', { errors })
})

t.test('every script opts in to checking and goes through the shared library', async (t) => {
  for (const dir of ['scenarios', 'lib']) {
    for (const file of readdirSync(join(loadtests, dir)).filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(join(loadtests, dir, file), 'utf8')
      t.ok(source.startsWith('// @ts-check\n'), `${dir}/${file} starts with // @ts-check`)
      if (dir === 'scenarios') {
        t.notMatch(source, /from 'k6\/http'/, `${file} makes no raw HTTP calls (lib/api.js does)`)
        t.notMatch(source, /BASE_URL|localhost/, `${file} takes the address from lib/config.js`)
        t.match(source, /export const options = openingOptions\(/, `${file} is shaped like a ticket opening`)
        t.match(source, /measuredThresholds\(/, `${file} has latency and error thresholds`)
      }
    }
  }
})
