/**
 * Runs k6 scripts with the real k6 binary for the tests: `k6 run` with a JSON summary
 * (`--summary-export`) and every sample (`--out json`), read back into what a test asserts on.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { COMPILED_K6, K6_COMPILED_MODE, k6Binary } from '@stagepass/launcher'

export { k6Binary } from '@stagepass/launcher'

export interface Threshold {
  metric: string
  expression: string
  ok: boolean
}

export interface K6Outcome {
  /** k6's exit code: 0 passed, 99 thresholds crossed, anything else a failure of the script or run. */
  code: number
  stdout: string
  stderr: string
  thresholds: Threshold[]
  /** Every check by name (from setup, the iterations and teardown). */
  checks: Record<string, { passes: number; fails: number }>
  /** Counter metrics (and the request count) by name: their totals. */
  counters: Record<string, number>
  /** Responses by route (`name` tag) and status. */
  statuses: Record<string, Record<string, number>>
  /** Lines the script logged with console.error. */
  errors: string[]
}

interface Group {
  checks?: Record<string, { passes: number; fails: number }>
  groups?: Record<string, Group>
}

function collectChecks(group: Group | undefined, into: K6Outcome['checks']): void {
  if (!group) return
  for (const [name, counts] of Object.entries(group.checks ?? {})) {
    const known = into[name] ?? { passes: 0, fails: 0 }
    into[name] = { passes: known.passes + counts.passes, fails: known.fails + counts.fails }
  }
  for (const child of Object.values(group.groups ?? {})) collectChecks(child, into)
}

/**
 * `k6 run -e NAME=value… <script>`, waited for. A script the build compiled (COMPILED_K6) is run
 * as it is; that k6 reads the sources as a user runs them is proven by scenarios.test.ts (`k6
 * inspect` of each) and k6-typecheck.test.ts. Resolves whatever k6's exit code; rejects only when
 * k6 could not be started or wrote no summary (it failed before the run).
 */
export async function runK6(
  script: string,
  { env = {}, timeoutMs = 200_000 }: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<K6Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-k6-'))
  try {
    const summaryPath = join(dir, 'summary.json')
    const samplesPath = join(dir, 'samples.json')
    // No REST API server (--address ''): runs side by side would race for its one port.
    const args = ['run', '--no-usage-report', '--no-color', '--address', '', '--summary-export', summaryPath]
    args.push('--out', `json=${samplesPath}`)
    if (script.startsWith(`${COMPILED_K6}${sep}`)) args.push(K6_COMPILED_MODE)
    for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`)
    args.push(script)
    const child = spawn(k6Binary(), args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)))
    })
    if (!existsSync(summaryPath)) {
      throw new Error(`k6 exited with code ${code} and wrote no summary:\n${stderr.slice(-4000)}`)
    }
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      root_group?: Group
      metrics: Record<string, { count?: number; thresholds?: Record<string, boolean> }>
    }
    const thresholds: Threshold[] = []
    const counters: Record<string, number> = {}
    for (const [metric, values] of Object.entries(summary.metrics)) {
      for (const [expression, failed] of Object.entries(values.thresholds ?? {})) {
        thresholds.push({ metric, expression, ok: !failed })
      }
      if (typeof values.count === 'number' && !metric.includes('{')) counters[metric] = values.count
    }
    const checks: K6Outcome['checks'] = {}
    collectChecks(summary.root_group, checks)
    const statuses: K6Outcome['statuses'] = {}
    for (const line of readFileSync(samplesPath, 'utf8').split('\n')) {
      if (!line.includes('"http_reqs"')) continue
      const sample = JSON.parse(line) as { type: string; metric: string; data: { tags?: Record<string, string> } }
      if (sample.type !== 'Point' || sample.metric !== 'http_reqs') continue
      const name = sample.data.tags?.name ?? '?'
      const status = sample.data.tags?.status ?? '?'
      const byStatus = statuses[name] ?? {}
      byStatus[status] = (byStatus[status] ?? 0) + 1
      statuses[name] = byStatus
    }
    const errors = stderr
      .split('\n')
      .filter((line) => line.includes('level=error') && line.includes('source=console'))
      .map((line) => /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line)
    return { code, stdout, stderr, thresholds, checks, counters, statuses, errors }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
