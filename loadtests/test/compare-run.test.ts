import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fromRoot } from '@stagepass/launcher'
import t from 'tap'
import type { Report } from '../compare/model.js'
import { k6Binary } from './k6-run.js'

const run = promisify(execFile)

/**
 * The comparison as a load tester runs it: the real k6 against the monolith and the split system,
 * each started fresh by the launcher (its own database and Redis prefix, removed afterwards), at a
 * smoke scale. The report has each target's figures, with k6's own CPU beside the processes'.
 */
t.test('the run command drives k6 against the monolith and the split system', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sp-compare-run-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const cli = fromRoot('loadtests', 'dist', 'compare', 'cli.js')
  const args = ['run', 'points-charge', '--vus-scale', '0.003', '--time-scale', '0.01', '--out', out]
  const result = await run(process.execPath, [cli, ...args], {
    env: { ...process.env, K6_BIN: k6Binary() },
    maxBuffer: 32 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  )
  // 3 means a threshold was crossed; only latency may be, on a shared test machine.
  t.ok(result.code === 0 || result.code === 3, `the comparison ran (exit code ${result.code})`, {
    stderr: result.stderr?.slice(-4000),
  })
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report
  t.same(
    report.measurements.map((m) => m.target),
    ['monolith', 'split'],
    'one measurement per target',
  )
  for (const m of report.measurements) {
    t.equal(m.tool, 'k6', `${m.target}: measured by k6`)
    t.ok((m.requests ?? 0) > 0, `${m.target}: the measured requests are counted`)
    t.same(
      m.thresholdsCrossed.filter((th) => !th.startsWith('http_req_duration')),
      [],
      `${m.target}: no threshold but latency crossed`,
    )
    const k6 = m.cpu.find((p) => p.name === 'k6')
    t.ok((k6?.cpuSeconds ?? 0) > 0, `${m.target}: k6's own CPU is reported (${k6?.cpuSeconds.toFixed(2)} s)`)
  }
  t.match(readFileSync(join(out, 'report.md'), 'utf8'), '| points-charge | split |')
})
