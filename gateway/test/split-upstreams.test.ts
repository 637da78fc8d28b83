import { apiClient, concurrently, eventually, startSystem, tally } from '@stagepass/testkit'
import t from 'tap'

/** How many `PUT /points/charge` requests one point instance has served, from its own /metrics. */
async function chargesServed(opsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text()
  const line = text
    .split('\n')
    .find((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('route="/points/charge"'))
  return line ? Number(line.split(' ').pop()) : 0
}

/**
 * One split system for the file: point scaled to three instances (the balancing), the other contexts
 * one each (an upstream taken away), every process on `localhost` (both loopbacks).
 */
t.test('split, point scaled to three', async (t) => {
  const system = await startSystem(t, {
    mode: 'split',
    scale: { point: 3 },
    env: { LOG_LEVEL: 'info', HOST: 'localhost' },
  })

  await t.test('SCALE_POINT=3: the gateway balances one context across three instances', async (t) => {
    const points = system.processes.filter((p) => p.spec.name.startsWith('point-'))
    t.equal(points.length, 3, 'three point processes')
    const api = apiClient(system.baseUrl, { connections: 64 })
    const ops = apiClient(system.opsUrl)
    t.teardown(() => Promise.all([api.close(), ops.close()]))

    const results = await concurrently(300, (i) =>
      api.put('/points/charge', { userId: 300 + (i % 10), amount: 10 }, { headers: { 'x-request-id': `spread-${i}` } }),
    )
    t.same(tally(results.map((r) => r.status)), { 200: 300 })
    const served = await Promise.all(points.map((p) => chargesServed(p.spec.opsPort)))
    t.equal(
      served.reduce((a, b) => a + b, 0),
      300,
      `every request served once: ${served}`,
    )
    t.ok(
      served.every((n) => n > 0),
      `every instance took a share: ${served}`,
    )
    t.match(system.output(), /point-\d +\| .*"reqId":"spread-\d+"/, 'the request id reached the upstream')

    await t.test('when one instance dies, the others keep serving', async (t) => {
      const victim = points[0]
      victim?.child.kill('SIGKILL')
      await victim?.exited
      const after = await concurrently(60, (i) => api.put('/points/charge', { userId: 400, amount: 1 + i }))
      const statuses = tally(after.map((r) => r.status))
      t.ok((statuses['200'] ?? 0) >= 50, `most requests still succeed: ${JSON.stringify(statuses)}`)
      t.ok(
        after.every((r) => r.status === 200 || r.status === 503),
        'a request that hit the dead instance is a 503, never a hang',
      )
      t.equal((await ops.get('/health/ready')).status, 200, 'still ready: two instances remain')
    })
  })

  await t.test('an upstream that is down gives a fast 503 in the documented shape; readiness follows it', async (t) => {
    const api = apiClient(system.baseUrl)
    const ops = apiClient(system.opsUrl)
    t.teardown(() => Promise.all([api.close(), ops.close()]))
    const ready = await ops.get('/health/ready')
    t.equal(ready.status, 200)
    t.equal(ready.body.data.checks.queue, 'up')

    // The queue has one instance here. Killed for good: the launcher would otherwise restart it.
    const queue = system.processes.find((p) => p.spec.name === 'queue')
    if (queue) await system.retire(queue, 'SIGKILL')

    for (const [method, path, body] of [
      ['GET', '/queue/tokens/status/1', undefined],
      ['POST', '/queue/tokens', { userId: 1 }],
    ] as const) {
      // Answered, however slow the machine: the call gives up on its own rather than hang the test.
      const res = await api.call(method, path, { body, timeoutMs: 15_000 })
      t.equal(res.status, 503, `${method} ${path}`)
      t.match(res.body, { statusCode: 503, code: 'UPSTREAM_UNAVAILABLE', error: 'Service Unavailable' })
      t.notMatch(res.body.message, /127\.0\.0\.1|ECONNREFUSED|:\d{4}/, 'no internal address leaks')
    }
    // A readiness answer is reused for a second: it follows the upstream within that.
    t.ok(await eventually(async () => (await ops.get('/health/ready')).status === 503), 'not ready')
    t.equal((await ops.get('/health/ready')).body.checks.queue, 'down')
    t.equal((await api.get('/health/live')).status, 200)
  })

  await t.test('the gateway answers on localhost over IPv4 and IPv6', async (t) => {
    const port = new URL(system.baseUrl).port
    for (const host of ['127.0.0.1', '[::1]']) {
      const res = await fetch(`http://${host}:${port}/health/live`)
      t.equal(res.status, 200, host)
    }
  })
})
