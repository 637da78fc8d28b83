import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expressionsOf } from '../../src/dashboards/grafana.js'
import { DEPLOY_DIR } from './apps.js'

/** The dashboards Grafana is provisioned with, as committed. */
export const committedDashboards = readdirSync(join(DEPLOY_DIR, 'grafana', 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(DEPLOY_DIR, 'grafana', 'dashboards', f), 'utf8')) }))

/** The queries of every panel titled `title`, on any dashboard. */
export function panelExpressions(title: string): string[] {
  const panels = committedDashboards.flatMap((c) => c.json.panels as Array<{ title: string }>)
  return panels.filter((p) => p.title === title).flatMap((p) => expressionsOf(p))
}
