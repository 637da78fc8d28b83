import type { Mode, RunningProcess } from '@stagepass/launcher'
import { addPerformance, admittedToken, apiClient, metricValue, startSystem, type TestSystem } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { expressionsOf } from '../src/dashboards/grafana.js'
import { alertRules } from './support/alerts.js'
import { committedDashboards, panelExpressions } from './support/dashboards.js'
import { scrape } from './support/metrics-page.js'
import { metricNamesIn } from './support/promql.js'

/**
 * What operators and their tools read from a running system, one system per mode: metrics and
 * readiness only on operations ports, every metric a dashboard or an alert reads exported, the probes
 * of compose and the manifests answered, and the point panels fed by a payment in both modes.
 */

/** The public port hides what the operations port serves. */
async function assertOperationsPortOnly(t: Test, proc: RunningProcess) {
  const { name, port, opsPort } = proc.spec
  const publicApi = apiClient(`http://127.0.0.1:${port}`, { connections: 4 })
  const ops = apiClient(`http://127.0.0.1:${opsPort}`, { connections: 4 })
  t.teardown(() => Promise.all([publicApi.close(), ops.close()]))
  for (const path of ['/metrics', '/health/ready']) {
    const res = await publicApi.get(path)
    t.equal(res.status, 404, `${name}: ${path} on the public port answers 404`)
    t.match(res.body, { statusCode: 404, code: 'NOT_FOUND' }, `${name}: in the usual shape`)
  }
  t.equal((await publicApi.get('/health/live')).status, 200, `${name}: the public port keeps /health/live`)
  const metrics = await ops.get('/metrics')
  t.equal(metrics.status, 200, `${name}: the operations port serves /metrics`)
  t.match(metrics.body, /^process_cpu_seconds_total /m, `${name}: Prometheus text`)
  const ready = await ops.get('/health/ready')
  t.equal(ready.status, 200, `${name}: the operations port serves /health/ready`)
  t.equal(ready.body.data.status, 'ready')
  return ready.body.data.checks
}

/** The panels of the points, and the series each must show once a payment succeeded and one was refused. */
const POINT_PANELS = ['Points moved', 'Point ledger writes']
const SERIES_AFTER_A_PAYMENT: Record<string, string> = {
  booking_payments_amount_total: 'booking_payments_amount_total',
  points_amount_total: 'points_amount_total{type="USE"}',
  points_operations_total: 'points_operations_total{type="USE"}',
  points_refusals_total: 'points_refusals_total{code="INSUFFICIENT_POINTS"}',
}

async function assertPointPanelsFed(t: Test, system: TestSystem, mode: Mode) {
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
}

t.test('split', async (t) => {
  const system = await startSystem(t, { mode: 'split' })

  await t.test('the gateway and every context keep metrics and readiness off their public port', async (t) => {
    t.equal(system.processes.length, 5, 'four contexts and the gateway')
    for (const proc of system.processes) {
      const checks = await assertOperationsPortOnly(t, proc)
      if (proc.spec.name === 'gateway') {
        t.match(checks, { point: 'up', queue: 'up', concert: 'up', booking: 'up' }, 'gateway: asks every context')
      }
    }
    const res = await fetch(`${system.baseUrl}/metrics`)
    t.equal(res.status, 404, 'a scrape through the public address of the system answers 404')
    t.notMatch(await res.text(), /payment|queue_waiting/, 'and tells nothing')
  })

  await t.test('every metric a dashboard queries or an alert reads is exported by a running process', async (t) => {
    const { names, answered } = await scrape(system)
    for (const [name, status] of answered) {
      t.equal(status, 200, `${name} serves /metrics on its operations port (what Prometheus scrapes)`)
    }
    t.ok(names.has('http_request_duration_seconds_bucket'), 'the scrape found the request histogram')
    for (const { file, json } of committedDashboards) {
      for (const expr of expressionsOf(json)) {
        const read = metricNamesIn(expr)
        t.ok(read.length > 0, `${file}: "${expr}" names a metric`)
        for (const name of read) t.ok(names.has(name), `${file}: ${name} is exported`, { expr })
      }
    }
    for (const rule of alertRules) {
      for (const name of metricNamesIn(rule.expr)) t.ok(names.has(name), `alert ${rule.alert}: ${name} is exported`)
    }
    t.notOk(
      metricNamesIn('sum(rate(stagepass_made_up_total{job=~"$job"}[5m]))').every((n) => names.has(n)),
      'a made-up metric would be caught',
    )
  })

  await t.test('the health checks of the compose file and the probes of the manifests are answered', async (t) => {
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

  await t.test('the point panels have data after a payment', (t) => assertPointPanelsFed(t, system, 'split'))
})

t.test('monolith', async (t) => {
  const system = await startSystem(t, { mode: 'monolith' })

  await t.test('metrics and readiness are off the public port', async (t) => {
    const [monolith] = system.processes as [RunningProcess]
    const checks = await assertOperationsPortOnly(t, monolith)
    t.match(checks, { mysql: 'up', redis: 'up', 'queue-guard': 'up' }, 'its own stores')
  })

  await t.test('the point panels have data after a payment', (t) => assertPointPanelsFed(t, system, 'monolith'))
})
