import { createTestDatabase, eventually, startTcpProxy } from '@stagepass/testkit'
import t from 'tap'
import { startPointService } from './helpers.js'

const { config } = await createTestDatabase(t)
// The service reaches MySQL through a proxy this test can switch off: "MySQL stopped" without
// touching the shared server.
const proxy = await startTcpProxy(t, config.MYSQL_HOST, config.MYSQL_PORT)
const { api, ops } = await startPointService(t, { ...config, MYSQL_HOST: '127.0.0.1', MYSQL_PORT: proxy.port })

/** Every request with MySQL away gives up on its own after this long: a hang fails the test instead of stalling it. */
const bounded = { timeoutMs: 15_000 }

t.test('with MySQL down, point routes answer 503 and readiness says not ready', async (t) => {
  t.equal((await api.put('/points/charge', { userId: 7, amount: 100 })).status, 200)
  await proxy.disable()

  for (const [method, path, body] of [
    ['GET', '/points/current/7', undefined],
    ['PUT', '/points/charge', { userId: 7, amount: 100 }],
    ['GET', '/points/history/7', undefined],
    ['POST', '/internal/points/use', { userId: 7, amount: 1, reference: 'outage-1' }],
  ] as const) {
    const res = await api.call(method, path, { body, ...bounded })
    t.equal(res.status, 503, `${method} ${path}`)
    t.match(res.body, { statusCode: 503, code: 'DATABASE_UNAVAILABLE', error: 'Service Unavailable' })
    t.notMatch(JSON.stringify(res.body), /127\.0\.0\.1|ECONN|select|sql/i, 'no internals leak')
  }

  const ready = await ops.get('/health/ready', bounded)
  t.equal(ready.status, 503)
  t.equal(ready.body.checks.mysql, 'down')
  t.equal((await api.get('/health/live', bounded)).status, 200, 'still live: a restart would not help')
})

t.test('when MySQL is back, the service recovers without a restart', async (t) => {
  await proxy.enable()
  t.ok(await eventually(async () => (await api.get('/points/current/7', bounded)).status === 200), 'serving again')
  t.same((await api.get('/points/current/7')).body, { data: { userId: 7, currentPoints: 100 } }, 'no partial write')
  // A readiness answer is reused for a second: it follows within that.
  t.ok(await eventually(async () => (await ops.get('/health/ready')).status === 200), 'ready again')
  t.equal((await api.put('/points/charge', { userId: 7, amount: 1 })).status, 200)
})
