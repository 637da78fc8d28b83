import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { DEPLOY_DIR } from './apps.js'

export interface AlertRule {
  alert: string
  expr: string
  for?: string
  labels?: { severity?: string }
  annotations?: { summary?: string; description?: string }
}

const alerts = parse(readFileSync(join(DEPLOY_DIR, 'prometheus', 'alerts.yml'), 'utf8')) as {
  groups: Array<{ name: string; rules: AlertRule[] }>
}

/** Every alert rule Prometheus loads. */
export const alertRules = alerts.groups.flatMap((group) => group.rules)
