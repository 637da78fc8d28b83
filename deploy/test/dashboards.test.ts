import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { dashboardFiles } from '../src/dashboards/files.js'
import { expressionsOf } from '../src/dashboards/grafana.js'
import { DEPLOY_DIR } from './support/apps.js'
import { readCompose } from './support/compose.js'
import { committedDashboards as committed } from './support/dashboards.js'

// That every metric a dashboard queries is exported, and that the point panels get data in both
// modes, is checked against the running system: running-system.test.ts.

t.test('the provisioned dashboards are the ones the definitions generate', async (t) => {
  const generated = dashboardFiles()
  t.same(committed.map((c) => c.file).sort(), generated.map((g) => `${g.uid}.json`).sort(), 'one file per dashboard')
  for (const g of generated) {
    const file = committed.find((c) => c.file === `${g.uid}.json`)
    t.same(file?.json, JSON.parse(g.json), `${g.uid}.json is up to date (node deploy/dist/src/dashboards/generate.js)`)
  }
})

t.test('Grafana loads them with no clicking: provisioned datasource, dashboards folder, home dashboard', async (t) => {
  const datasource = parse(readFileSync(join(DEPLOY_DIR, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'))
  const uid = datasource.datasources[0].uid
  for (const { file, json } of committed) {
    const refs = JSON.stringify(json).match(/"datasource":\{"type":"prometheus","uid":"([^"]+)"\}/g) ?? []
    t.ok(refs.length > 0, `${file} queries Prometheus`)
    for (const ref of refs) t.ok(ref.includes(`"uid":"${uid}"`), `${file}: the provisioned datasource`)
  }
  const providers = parse(readFileSync(join(DEPLOY_DIR, 'grafana/provisioning/dashboards/stagepass.yml'), 'utf8'))
  const grafana = readCompose().services.grafana
  const volumes = grafana?.volumes as string[]
  const mountedAt = volumes.find((v) => v.startsWith('./grafana/dashboards:'))?.split(':')[1]
  t.equal(providers.providers[0].options.path, mountedAt, 'the provider reads the mounted dashboards')
  const home = String(grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH)
  t.ok(home.startsWith(`${mountedAt}/`), 'the home dashboard is one of them')
  t.ok(
    committed.some((c) => home.endsWith(`/${c.file}`)),
    'the home dashboard exists',
  )
})

t.test('the issue’s panels are there', async (t) => {
  const all = committed.flatMap((c) => expressionsOf(c.json)).join('\n')
  for (const metric of [
    'http_request_duration_seconds_bucket',
    'queue_waiting_users',
    'queue_active_users',
    'queue_admissions_total',
    'booking_holds_total',
    'booking_hold_expiries_total',
    'booking_payments_total',
    'booking_payment_failures_total',
    'booking_outbox_lag_seconds',
    'bullmq_jobs',
    'bullmq_failed_jobs_total',
    'booking_periodic_runs_total',
    'nodejs_eventloop_lag_p99_seconds',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
  ]) {
    t.match(all, metric, `a panel shows ${metric}`)
  }
  for (const q of [0.5, 0.95, 0.99]) t.match(all, `histogram_quantile(${q},`, `p${q * 100} latency`)
})
