#!/usr/bin/env node
/**
 * Writes deploy/grafana/dashboards/<uid>.json from the definitions (Grafana provisions those files).
 * Run after changing a dashboard: node deploy/dist/src/dashboards/generate.js, then
 * npx biome format --write deploy/grafana (a test fails while the committed dashboards differ from
 * what this generates).
 */
import { writeFileSync } from 'node:fs'
import { dashboardFiles } from './files.js'

for (const { path, json } of dashboardFiles()) {
  writeFileSync(path, json)
  process.stdout.write(`wrote ${path}\n`)
}
