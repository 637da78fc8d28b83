import { createServer } from '@stagepass/kit'
import { type RunningProcess, SERVICES } from '@stagepass/launcher'
import { apiClient, concurrently, createTestRedisPrefix, serveOnFreePort, startSystem, tally } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'

/**
 * Sales totals, payment sums and queue depth are for operators, and readiness checks query MySQL,
 * Redis and upstreams: every process serves them on its operations port, never on the public one.
 */

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

t.test('split: the gateway and every context keep metrics and readiness off their public port', async (t) => {
  const system = await startSystem(t, { mode: 'split' })
  t.equal(system.processes.length, SERVICES.length + 1)
  for (const proc of system.processes) {
    const checks = await assertOperationsPortOnly(t, proc)
    if (proc.spec.name === 'gateway') {
      t.match(checks, { point: 'up', queue: 'up', concert: 'up', booking: 'up' }, 'gateway: asks every context')
    }
  }
  const scrape = await fetch(`${system.baseUrl}/metrics`)
  t.equal(scrape.status, 404, 'a scrape through the public address of the system answers 404')
  t.notMatch(await scrape.text(), /payment|queue_waiting/, 'and tells nothing')
})

t.test('monolith: metrics and readiness are off the public port', async (t) => {
  const system = await startSystem(t, { mode: 'monolith' })
  const [monolith] = system.processes as [RunningProcess]
  const checks = await assertOperationsPortOnly(t, monolith)
  t.match(checks, { mysql: 'up', redis: 'up', 'queue-guard': 'up' }, 'its own stores')
})

t.test('a flood of readiness probes on the split gateway asks each context about once', async (t) => {
  // One stand-in context counts the readiness requests the gateway sends to its operations port.
  const upstream = createServer({ service: 'context', config: { LOG_LEVEL: 'error', LOG_PRETTY: 'false' } })
  let asked = 0
  upstream.operations.addHook('onRequest', async (request) => {
    if (request.url === '/health/ready') asked++
  })
  const context = await serveOnFreePort(t, upstream)
  const urls: Record<string, string> = {}
  for (const service of SERVICES) {
    urls[`${service.toUpperCase()}_URLS`] = `http://127.0.0.1:${context.port}`
    urls[`${service.toUpperCase()}_OPS_URLS`] = `http://127.0.0.1:${context.opsPort}`
  }
  const redis = createTestRedisPrefix(t)
  const gateway = await buildGateway(
    loadGatewayConfig({
      MODE: 'split',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      LOG_LEVEL: 'error',
      LOG_PRETTY: 'false',
      ...urls,
    }),
  )
  const { ops } = await serveOnFreePort(t, gateway)

  const started = performance.now()
  const answers = await concurrently(500, () => ops.get('/health/ready'))
  const seconds = (performance.now() - started) / 1000
  t.same(tally(answers.map((res) => res.status)), { 200: 500 }, 'every probe is answered: ready')
  // However long the machine took to send them: one round of questions per second of flood, plus the first.
  const rounds = asked / SERVICES.length
  t.ok(
    rounds >= 1 && rounds <= Math.ceil(seconds) + 1,
    `500 probes in ${seconds.toFixed(1)} s asked each of the ${SERVICES.length} contexts ${rounds} time(s)`,
  )
})
