import type { Measurement } from './measure.js'

/** One scenario on one target: the medians of its runs and the summed failure counts. */
export type SummaryRow = { suite: string; scenario: string; target: string } & Pick<
  Measurement,
  'rps' | 'p50' | 'p99' | 'errors' | 'non2xx' | 'serverErrors' | 'unexpected' | 'outcomes'
>

const ms = (value: number) => Math.round(value)
const pct = (a: number | undefined, b: number | undefined) => (a && b ? `${((a / b) * 100).toFixed(0)}%` : '–')

/** A Markdown table of medians, with each scenario's ratios against its baseline and monolith. */
export function renderReport(
  rows: SummaryRow[],
  { duration, runs, connections }: { duration: number; runs: number; connections: number },
): string {
  const lines = [
    `Medians of ${runs} interleaved runs, ${duration} s each, ${connections} connections (autocannon).`,
    '',
    '| scenario | target | req/s | p50 ms | p99 ms | socket errors | 5xx | unexpected status |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.target} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.serverErrors} | ${r.unexpected} |`,
    )
  }
  lines.push('', '| scenario | monolith / raw | split / monolith | direct / raw |', '|---|---:|---:|---:|')
  const scenarios = [...new Set(rows.map((r) => r.scenario))]
  for (const scenario of scenarios) {
    const of = (pred: (t: string) => boolean) => rows.find((r) => r.scenario === scenario && pred(r.target))?.rps
    const raw = of((t) => t.startsWith('raw'))
    lines.push(
      `| ${scenario} | ${pct(
        of((t) => t === 'monolith'),
        raw,
      )} | ${pct(
        of((t) => t === 'split'),
        of((t) => t === 'monolith'),
      )} | ${pct(
        of((t) => t.startsWith('direct')),
        raw,
      )} |`,
    )
  }
  // Where a scenario both grants and refuses (a stampede), the two answers' latencies apart.
  const mixed = rows.filter((r) => r.outcomes.won.count > 0 && r.outcomes.refused.count > 0)
  if (mixed.length > 0) {
    lines.push(
      '',
      '| scenario | target | 2xx answers | 2xx p50 ms | 2xx p99 ms | refusals | refused p50 ms | refused p99 ms |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
    )
    for (const { scenario, target, outcomes } of mixed) {
      const { won, refused } = outcomes
      lines.push(
        `| ${scenario} | ${target} | ${won.count} | ${ms(won.p50)} | ${ms(won.p99)} | ${refused.count} | ${ms(refused.p50)} | ${ms(refused.p99)} |`,
      )
    }
  }
  return lines.join('\n')
}
