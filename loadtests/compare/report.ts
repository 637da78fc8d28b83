import type { Measurement, Report } from './model.js'

const fixed = (value: number | undefined, digits = 0) => (value === undefined ? '–' : value.toFixed(digits))

function errors(m: Measurement): string {
  if (m.errorRate !== undefined) return `${(m.errorRate * 100).toFixed(2)}%`
  if (m.errors !== undefined) return `${m.errors} failed`
  return '–'
}

/**
 * "gateway 85%, point 40%, others 6%": average share of one core per process, busiest first; processes
 * under 2% (background work, idle targets) are summed as "others".
 */
function cpuCell(m: Measurement): string {
  if (m.cpu.length === 0) return '–'
  const sorted = [...m.cpu].sort((a, b) => b.cpuPercent - a.cpuPercent)
  const shown = sorted.filter((p) => p.cpuPercent >= 2)
  const rest = sorted.filter((p) => p.cpuPercent < 2).reduce((sum, p) => sum + p.cpuPercent, 0)
  const cells = shown.map((p) => `${p.name} ${p.cpuPercent.toFixed(0)}%`)
  if (rest >= 1) cells.push(`others ${rest.toFixed(0)}%`)
  return cells.length ? cells.join(', ') : '–'
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '–'

/** Scenarios in first-seen order, each with its measurements in first-seen target order. */
export function byScenario(measurements: Measurement[]): Map<string, Measurement[]> {
  const grouped = new Map<string, Measurement[]>()
  for (const m of measurements) grouped.set(m.scenario, [...(grouped.get(m.scenario) ?? []), m])
  return grouped
}

/** The report as Markdown: how it was produced, one table of figures, one of ratios against the monolith. */
export function renderMarkdown(report: Report, { chart }: { chart?: string } = {}): string {
  const lines = [`## ${report.title}`, '', ...report.method, '']
  lines.push(
    '| scenario | target | req/s | p50 ms | p95 ms | p99 ms | errors | CPU per process (share of one core) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  )
  for (const m of report.measurements) {
    lines.push(
      `| ${m.scenario} | ${m.target} | ${fixed(m.throughput)} | ${fixed(m.p50, 1)} | ${fixed(m.p95, 1)} | ${fixed(m.p99, 1)} | ${errors(m)} | ${cpuCell(m)} |`,
    )
  }
  const groups = [...byScenario(report.measurements)].filter(([, ms]) => ms.some((m) => m.target === 'monolith'))
  if (groups.length > 0) {
    lines.push('', '| scenario | target | req/s vs monolith | p99 vs monolith |', '|---|---|---:|---:|')
    for (const [scenario, ms] of groups) {
      const monolith = ms.find((m) => m.target === 'monolith') as Measurement
      for (const m of ms.filter((x) => x !== monolith)) {
        lines.push(
          `| ${scenario} | ${m.target} | ${ratio(m.throughput, monolith.throughput)} | ${ratio(m.p99, monolith.p99)} |`,
        )
      }
    }
  }
  const crossed = report.measurements.filter((m) => m.thresholdsCrossed.length > 0)
  if (crossed.length > 0) {
    lines.push('', 'Thresholds crossed:', '')
    for (const m of crossed) lines.push(`- ${m.scenario} on ${m.target}: ${m.thresholdsCrossed.join('; ')}`)
  }
  if (chart) lines.push('', `![${report.title}](${chart})`)
  return `${lines.join('\n')}\n`
}
