import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { addPerformance, admittedToken, apiClient, metricValue, startSystem } from '@stagepass/testkit'
import t from 'tap'
import { parse } from 'yaml'
import { dashboardFiles } from '../src/dashboards/files.js'
import { expressionsOf } from '../src/dashboards/grafana.js'
import { DEPLOY_DIR } from './support/apps.js'
import { readCompose } from './support/compose.js'
import { metricNamesIn } from './support/promql.js'

const dashboardsDir = join(DEPLOY_DIR, 'grafana', 'dashboards')
const committed = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) }))

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

/** Metric names a /metrics page declares, with the series names a histogram or summary adds. */
function exportedNames(page: string): Set<string> {
  const names = new Set<string>()
  for (const match of page.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string]
    names.add(name)
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`)
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`)
  }
  return names
}

t.test('every metric a dashboard queries is exported by a running process', async (t) => {
  const system = await startSystem(t, { mode: 'split' })
  const exported = new Set<string>()
  for (const proc of system.processes) {
    const res = await fetch(`http://127.0.0.1:${proc.spec.opsPort}/metrics`)
    t.equal(res.status, 200, `${proc.spec.name} serves /metrics on its operations port (what Prometheus scrapes)`)
    for (const name of exportedNames(await res.text())) exported.add(name)
  }
  t.ok(exported.has('http_request_duration_seconds_bucket'), 'the scrape found the request histogram')
  for (const { file, json } of committed) {
    for (const expr of expressionsOf(json)) {
      const names = metricNamesIn(expr)
      t.ok(names.length > 0, `${file}: "${expr}" names a metric`)
      for (const name of names) t.ok(exported.has(name), `${file}: ${name} is exported`, { expr })
    }
  }
  t.notOk(
    metricNamesIn('sum(rate(stagepass_made_up_total{job=~"$job"}[5m]))').every((n) => exported.has(n)),
    'a made-up metric would be caught',
  )

  // The health checks of the compose file and the probes of the manifests, against the real processes.
  for (const proc of system.processes) {
    const probes = [
      ['/health/live', proc.spec.port, 'its port'],
      ['/health/ready', proc.spec.opsPort, 'its operations port'],
    ] as const
    for (const [route, port, where] of probes) {
      const res = await fetch(`http://127.0.0.1:${port}${route}`)
      t.equal(res.status, 200, `${proc.spec.name} answers ${route} on ${where}`)
    }
  }
})

/** The panels of the points, and the series each must show once a payment succeeded and one was refused. */
const POINT_PANELS = ['Points moved', 'Point ledger writes']
const SERIES_AFTER_A_PAYMENT: Record<string, string> = {
  booking_payments_amount_total: 'booking_payments_amount_total',
  points_amount_total: 'points_amount_total{type="USE"}',
  points_operations_total: 'points_operations_total{type="USE"}',
  points_refusals_total: 'points_refusals_total{code="INSUFFICIENT_POINTS"}',
}

function panelExpressions(title: string): string[] {
  const panels = committed.flatMap((c) => c.json.panels as Array<{ title: string }>)
  return panels.filter((p) => p.title === title).flatMap((p) => expressionsOf(p))
}

for (const mode of ['split', 'monolith'] as const) {
  t.test(`${mode}: the point panels have data after a payment`, async (t) => {
    const system = await startSystem(t, { mode })
    const api = apiClient(system.baseUrl)
    t.teardown(() => api.close())
    const { seatIds } = await addPerformance(system.db, { seats: 2, price: 30_000 })
    const [payer, poor] = [41, 42]
    await api.put('/points/charge', { userId: payer, amount: 50_000 })
    await api.put('/points/charge', { userId: poor, amount: 10_000 })
    for (const [userId, seatId, status] of [
      [payer, seatIds[0], 200],
      [poor, seatIds[1], 409],
    ] as const) {
      const token = await admittedToken(api, userId)
      const hold = await api.post('/concerts/reserve-seat', { seatId }, { token })
      const paid = await api.post('/payment/pay', { reservationId: hold.body.data.reservationId }, { token })
      t.equal(paid.status, status, `user ${userId} pays: ${status}`)
    }

    const names = POINT_PANELS.flatMap(panelExpressions).flatMap(metricNamesIn)
    t.ok(names.length > 0, 'the point panels are on a dashboard')
    for (const name of new Set(names)) {
      const series = SERIES_AFTER_A_PAYMENT[name]
      if (!t.ok(series, `${name}: the series a payment must show is listed here`)) continue
      // Summed over every process Prometheus scrapes (their operations ports).
      let total = 0
      for (const proc of system.processes)
        total += await metricValue(`http://127.0.0.1:${proc.spec.opsPort}`, series as string)
      t.ok(total > 0, `${mode}: ${series} has data`)
    }
  })
}
