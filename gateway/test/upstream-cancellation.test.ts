import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eventually } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startSplitGateway } from './helpers/split-gateway.js'

/**
 * A point context that answers `/points/current/answered` at once and nothing else: it records the
 * requests it got, their headers, and those whose connection was closed before it answered.
 */
async function slowUpstream(t: Test) {
  const received: Array<{ url: string; headers: Record<string, unknown> }> = []
  const cancelled: string[] = []
  const server = createServer((req, res) => {
    const url = req.url ?? ''
    if (url.startsWith('/health') || url === '/points/current/answered') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ data: { userId: 1, currentPoints: 0 } }))
      return
    }
    received.push({ url, headers: req.headers })
    res.on('close', () => {
      if (!res.writableFinished) cancelled.push(url)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, received, cancelled }
}

function startGateway(t: Test, pointUrl: string, proxyTimeoutMs: number) {
  return startSplitGateway(t, { POINT_URLS: pointUrl, PROXY_TIMEOUT_MS: String(proxyTimeoutMs), LOG_LEVEL: 'error' })
}

t.test('a client that hangs up: its request is cancelled upstream', async (t) => {
  const upstream = await slowUpstream(t)
  const gateway = await startGateway(t, upstream.url, 60_000)

  // `reset`: no idle keep-alive connection is left for the gateway's close to wait out.
  const answered = await request(`${gateway}/points/current/answered`, { reset: true })
  t.equal(answered.statusCode, 200, 'answers still pass through')
  await answered.body.dump()

  const client = new AbortController()
  const pending = request(`${gateway}/points/current/7`, { signal: client.signal }).catch(() => 'hung up')
  t.ok(await eventually(async () => upstream.received.length === 1), 'the request reached the upstream')
  t.notOk(
    Object.keys(upstream.received[0]?.headers ?? {}).some((name) => name.startsWith('x-stagepass')),
    'no gateway-internal header leaves the gateway',
  )
  client.abort()
  t.equal(await pending, 'hung up')
  t.ok(
    await eventually(async () => upstream.cancelled.includes('/points/current/7'), 5000),
    'the upstream saw its request closed long before the proxy timeout',
  )
})

t.test('a request the gateway gives up on (504) is cancelled upstream', async (t) => {
  const upstream = await slowUpstream(t)
  const gateway = await startGateway(t, upstream.url, 300)

  const res = await request(`${gateway}/points/current/8`)
  t.equal(res.statusCode, 504)
  t.match(await res.body.json(), { code: 'UPSTREAM_TIMEOUT' })
  t.ok(
    await eventually(async () => upstream.cancelled.includes('/points/current/8'), 5000),
    'the upstream saw its request closed',
  )
})
