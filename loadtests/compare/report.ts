import type { Measurement, Report } from './model.js'

const fixed = (value: number | undefined, digits = 0) => (value === undefined ? '–' : value.toFixed(digits))

function errors(m: Measurement): string {
  if (m.errorRate !== undefined) return `${(m.errorRate * 100).toFixed(2)}%`
  if (m.errors !== undefined) return `${m.errors} failed`
  return '–'
}

/** Processes that make the load rather than serve it. */
const LOAD_GENERATORS = new Set(['k6', 'autocannon'])
/** A process under this share of a core is shown only in the CPU cell's "others". */
const BUSY_PERCENT = 2

const microsPerRequest = (cpuSeconds: number, m: Measurement) =>
  m.requests ? (cpuSeconds / m.requests) * 1_000_000 : undefined

/**
 * "gateway 85% (120 µs), point 40% (57 µs), others 6%": average share of one core per process, busiest
 * first, with its CPU per measured request when the request count is known; processes under 2%
 * (background work, idle targets) are summed as "others".
 */
function cpuCell(m: Measurement): string {
  if (m.cpu.length === 0) return '–'
  const sorted = [...m.cpu].sort((a, b) => b.cpuPercent - a.cpuPercent)
  const shown = sorted.filter((p) => p.cpuPercent >= BUSY_PERCENT)
  const rest = sorted.filter((p) => p.cpuPercent < BUSY_PERCENT).reduce((sum, p) => sum + p.cpuPercent, 0)
  const cells = shown.map((p) => {
    const micros = microsPerRequest(p.cpuSeconds, m)
    return `${p.name} ${p.cpuPercent.toFixed(0)}%${micros === undefined ? '' : ` (${micros.toFixed(0)} µs)`}`
  })
  if (rest >= 1) cells.push(`others ${rest.toFixed(0)}%`)
  return cells.length ? cells.join(', ') : '–'
}

/**
 * In the autocannon benchmark every target's processes run side by side, and the idle ones still tick
 * (admission ticks, feeds, metrics) at 2–5% of a core each, where a process serving 50 connections
 * uses 25% or more: there, a process that used this share of a core served the measurement. A k6 run
 * starts each target alone, so every process of it counts.
 */
const SERVING_PERCENT = 10

/**
 * CPU the serving processes spent per measured request, in µs: every process but the load generator
 * (a split system's gateway and contexts together; the monolith alone), in the benchmark only those
 * that used a tenth of a core. Undefined when the request count or the CPU is not known.
 */
export function serverCpuPerRequest(m: Measurement): number | undefined {
  const serving = m.cpu.filter(
    (p) => !LOAD_GENERATORS.has(p.name) && (m.tool === 'k6' || p.cpuPercent >= SERVING_PERCENT),
  )
  if (serving.length === 0) return undefined
  return microsPerRequest(
    serving.reduce((sum, p) => sum + p.cpuSeconds, 0),
    m,
  )
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
    '| scenario | target | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU µs/request | CPU per process (share of one core, µs per request) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  )
  for (const m of report.measurements) {
    lines.push(
      `| ${m.scenario} | ${m.target} | ${fixed(m.throughput)} | ${fixed(m.p50, 1)} | ${fixed(m.p95, 1)} | ${fixed(m.p99, 1)} | ${errors(m)} | ${fixed(serverCpuPerRequest(m))} | ${cpuCell(m)} |`,
    )
  }
  const groups = [...byScenario(report.measurements)].filter(([, ms]) => ms.some((m) => m.target === 'monolith'))
  if (groups.length > 0) {
    lines.push(
      '',
      '| scenario | target | req/s vs monolith | p99 vs monolith | server CPU per request vs monolith |',
      '|---|---|---:|---:|---:|',
    )
    for (const [scenario, ms] of groups) {
      const monolith = ms.find((m) => m.target === 'monolith') as Measurement
      for (const m of ms.filter((x) => x !== monolith)) {
        lines.push(
          `| ${scenario} | ${m.target} | ${ratio(m.throughput, monolith.throughput)} | ${ratio(m.p99, monolith.p99)} | ${ratio(serverCpuPerRequest(m), serverCpuPerRequest(monolith))} |`,
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
