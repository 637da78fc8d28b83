import { spawn } from 'node:child_process'
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Writable } from 'node:stream'
import { compiledK6Script, K6_COMPILED_MODE, k6Binary } from '../k6.js'

export interface SaleOutcome {
  /** k6's exit code: 0, or 99 when the teardown found the books out of balance. */
  code: number
  /** When each request was sent, in ms since the epoch (k6's `http_reqs`, a move to another gateway included). */
  requests: number[]
  /** Each request the user got a failure for (`requests_failed`: a 5xx or no answer, after any move), in order. */
  failures: Array<{ at: number; what: string }>
  /** Counters from the summary: payments_completed, requests_failed, gateway_moves, invariant_violations… */
  counters: Record<string, number>
  /** What the teardown said was broken (`invariant broken: …`). */
  broken: string[]
}

export interface Sale {
  /** Settles when k6 has run the sale and its teardown. */
  done: Promise<SaleOutcome>
  stop(): void
}

/**
 * The sale (loadtests/faults/sale.js, as the build compiled it) under the real k6, with every sample written as JSON so
 * each request's time and outcome can be read back.
 */
export function startSale(env: Record<string, string>, output: Writable): Sale {
  const dir = mkdtempSync(join(tmpdir(), 'sp-faults-k6-'))
  const summaryPath = join(dir, 'summary.json')
  const samplesPath = join(dir, 'samples.json')
  const args = [
    'run',
    K6_COMPILED_MODE,
    '--no-usage-report',
    '--no-color',
    '--address',
    '',
    '--summary-export',
    summaryPath,
  ]
  // Only the tags the suite reads: the sample file stays a fraction of its default size.
  args.push('--system-tags', 'status,name,error_code', '--out', `json=${samplesPath}`)
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`)
  args.push(compiledK6Script('faults/sale.js'))
  const child = spawn(k6Binary(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const broken: string[] = []
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.write(`k6        | ${line}\n`)
      const problem = /msg="invariant broken: ((?:[^"\\]|\\.)*)"/.exec(line)?.[1]
      if (problem) broken.push(problem)
    })
  }
  const done = (async () => {
    try {
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', reject)
        child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)))
      })
      if (!existsSync(summaryPath)) throw new Error(`k6 exited with code ${code} and wrote no summary`)
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
        metrics: Record<string, { count?: number }>
      }
      const counters: Record<string, number> = {}
      for (const [metric, values] of Object.entries(summary.metrics)) {
        if (typeof values.count === 'number' && !metric.includes('{')) counters[metric] = values.count
      }
      return { code, ...(await readTimes(samplesPath)), counters, broken }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })()
  return { done, stop: () => child.kill('SIGINT') }
}

interface Point {
  type: string
  metric: string
  data: { time: string; tags?: Record<string, string> }
}

/** The times of each request, and each failure with its route, status and code (`POST /payment/pay 503 SHUTTING_DOWN`). */
async function readTimes(path: string): Promise<Pick<SaleOutcome, 'requests' | 'failures'>> {
  const requests: number[] = []
  const failures: SaleOutcome['failures'] = []
  for await (const line of createInterface({ input: createReadStream(path) })) {
    const request = line.includes('"metric":"http_reqs"')
    if (!request && !line.includes('"metric":"requests_failed"')) continue
    const point = JSON.parse(line) as Point
    if (point.type !== 'Point') continue
    const at = Date.parse(point.data.time)
    if (request) requests.push(at)
    else {
      const tags = point.data.tags ?? {}
      failures.push({ at, what: `${tags.name ?? '?'} ${tags.status ?? '?'} ${tags.code ?? ''}`.trim() })
    }
  }
  requests.sort((a, b) => a - b)
  failures.sort((a, b) => a.at - b.at)
  return { requests, failures }
}
