import { existsSync, readFileSync } from 'node:fs'
import type { SummaryRow } from '@stagepass/launcher'
import type { Measurement, ProcessCpu } from './model.js'

/** A row of a bench JSON; older benches lack the 5xx/unexpected columns and the latency per outcome. */
type BenchRow = Omit<SummaryRow, 'serverErrors' | 'unexpected' | 'outcomes'> &
  Partial<Pick<SummaryRow, 'serverErrors' | 'unexpected' | 'outcomes'>>

/** How the bench ran, from the first line of the Markdown file it writes beside the JSON. */
export interface BenchSettings {
  runs: number
  durationSeconds: number
  connections: number
}

export function benchSettings(markdown: string): BenchSettings | undefined {
  const match = /Medians of (\d+) interleaved runs, (\d+) s each, (\d+) connections/.exec(markdown)
  if (!match) return undefined
  return { runs: Number(match[1]), durationSeconds: Number(match[2]), connections: Number(match[3]) }
}

/** Reads `bench-results/bench-<stamp>.json` and, when present, the settings from its `.md` sibling. */
export function readBenchResults(path: string): { rows: BenchRow[]; settings?: BenchSettings } {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { summary?: unknown }
  if (!Array.isArray(parsed.summary)) throw new Error(`${path} is not a bench result: no "summary" array`)
  const rows = parsed.summary as BenchRow[]
  for (const row of rows) {
    if (typeof row.scenario !== 'string' || typeof row.target !== 'string' || typeof row.rps !== 'number') {
      throw new Error(`${path}: a summary row lacks scenario, target or rps`)
    }
  }
  const markdown = path.replace(/\.json$/, '.md')
  const settings = existsSync(markdown) ? benchSettings(readFileSync(markdown, 'utf8')) : undefined
  return { rows, settings }
}

/**
 * The bench's medians as measurements. Failed requests — socket errors plus unexpected answers (or,
 * from benches that do not tell expected from unexpected, every non-2xx) — become an error rate when
 * the run length is known (requests ≈ rate × duration × runs), a count otherwise. The bench reports
 * p50 and p99 only.
 */
export function measurementsFromBench(
  rows: BenchRow[],
  settings: BenchSettings | undefined,
  cpuOf: (scenario: string, target: string) => ProcessCpu[] = () => [],
): Measurement[] {
  return rows.map((row) => {
    const failed = row.errors + (row.unexpected ?? row.non2xx)
    const requests = settings ? row.rps * settings.durationSeconds * settings.runs : undefined
    return {
      scenario: row.scenario,
      target: row.target,
      tool: 'autocannon',
      throughput: row.rps,
      p50: row.p50,
      p99: row.p99,
      ...(requests ? { requests: Math.round(requests), errorRate: failed / (requests + failed) } : { errors: failed }),
      thresholdsCrossed: [],
      cpu: cpuOf(row.scenario, row.target),
    }
  })
}
