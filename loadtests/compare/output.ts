import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderSvg } from './chart.js'
import type { Report } from './model.js'
import { renderMarkdown } from './report.js'

/** Writes report.md (table, linking the chart), report.svg (chart) and report.json (the figures) to `dir`. */
export function writeReport(report: Report, dir: string): { markdown: string; svg: string; json: string } {
  mkdirSync(dir, { recursive: true })
  const files = { markdown: join(dir, 'report.md'), svg: join(dir, 'report.svg'), json: join(dir, 'report.json') }
  writeFileSync(files.svg, renderSvg(report))
  writeFileSync(files.markdown, renderMarkdown(report, { chart: 'report.svg' }))
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`)
  return files
}
