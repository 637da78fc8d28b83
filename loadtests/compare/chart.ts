import type { Measurement, Report } from './model.js'
import { byScenario } from './report.js'

const WIDTH = 1000
const LABEL_RIGHT = 150
const THROUGHPUT = { left: 160, width: 300 }
const LATENCY = { left: 590, width: 300 }
const ROW = 40
const HEADER = 52
const TARGET_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f']
const PERCENTILES = [
  { key: 'p50', opacity: 1 },
  { key: 'p95', opacity: 0.7 },
  { key: 'p99', opacity: 0.45 },
] as const

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

const text = (x: number, y: number, content: string, attrs = '') =>
  `<text x="${x}" y="${y}" ${attrs}>${escapeXml(content)}</text>`

const compact = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))

/**
 * A self-contained SVG (no scripts, fonts or links): per scenario, throughput per target on the
 * left and p50/p95/p99 latency per target on the right, each scaled to the scenario's largest value.
 */
export function renderSvg(report: Report): string {
  const targets = [...new Set(report.measurements.map((m) => m.target))]
  const colorOf = (target: string) => TARGET_COLORS[targets.indexOf(target) % TARGET_COLORS.length] as string
  const parts: string[] = []
  let y = 40
  parts.push(text(20, 26, report.title, 'font-size="18" font-weight="bold"'))
  for (const [scenario, ms] of byScenario(report.measurements)) {
    parts.push(text(20, y + 22, scenario, 'font-size="15" font-weight="bold"'))
    parts.push(text(THROUGHPUT.left, y + 42, 'requests per second', 'font-size="12" fill="#555"'))
    parts.push(text(LATENCY.left, y + 42, 'latency, ms (p50 · p95 · p99)', 'font-size="12" fill="#555"'))
    y += HEADER
    const maxRps = Math.max(...ms.map((m) => m.throughput), 1)
    const maxLatency = Math.max(...ms.flatMap((m) => [m.p50 ?? 0, m.p95 ?? 0, m.p99 ?? 0]), 1)
    for (const m of ms) {
      parts.push(row(m, y, maxRps, maxLatency, colorOf(m.target)))
      y += ROW
    }
    y += 16
  }
  const legendY = y + 10
  targets.forEach((target, i) => {
    const x = 20 + i * 180
    parts.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${colorOf(target)}"/>`)
    parts.push(text(x + 18, legendY, target, 'font-size="12"'))
  })
  const height = legendY + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(report.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

function row(m: Measurement, y: number, maxRps: number, maxLatency: number, color: string): string {
  const parts = [text(LABEL_RIGHT, y + 17, m.target, 'font-size="13" text-anchor="end"')]
  const rpsWidth = (m.throughput / maxRps) * THROUGHPUT.width
  parts.push(`<rect x="${THROUGHPUT.left}" y="${y + 4}" width="${rpsWidth.toFixed(1)}" height="20" fill="${color}"/>`)
  parts.push(text(THROUGHPUT.left + rpsWidth + 6, y + 18, compact(m.throughput), 'font-size="12"'))
  PERCENTILES.forEach(({ key, opacity }, i) => {
    const value = m[key]
    const barY = y + 2 + i * 9
    if (value === undefined) {
      parts.push(text(LATENCY.left, barY + 8, `${key} not reported`, 'font-size="9" fill="#999"'))
      return
    }
    const width = (value / maxLatency) * LATENCY.width
    parts.push(
      `<rect x="${LATENCY.left}" y="${barY}" width="${width.toFixed(1)}" height="8" fill="${color}" fill-opacity="${opacity}"/>`,
    )
    parts.push(text(LATENCY.left + width + 6, barY + 8, `${key} ${compact(value)}`, 'font-size="10"'))
  })
  return parts.join('\n')
}
