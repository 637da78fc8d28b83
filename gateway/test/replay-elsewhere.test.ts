import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { UNPROCESSED_HEADER } from '@stagepass/kit'
import { freePort, tally } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startSplitGateway } from './helpers/split-gateway.js'

type Behaviour = 'answer' | 'drain' | 'cut'

/**
 * One point instance: answers reads and charges, refuses as a draining kit server does (`503` with the
 * unprocessed header, then no new connection), or cuts the connection before answering, as a killed process does. It counts
 * every request that reached it, by method.
 */
async function instance(t: Test, behaviour: Behaviour) {
  const reached: string[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/health')) {
      res.end('{}')
      return
    }
    reached.push(req.method ?? '')
    req.resume()
    if (behaviour === 'cut') {
      req.socket.destroy()
      return
    }
    res.setHeader('content-type', 'application/json')
    if (behaviour === 'drain') {
      // As a draining kit server: it takes no new connection, and closes each open one after its refusal.
      server.close()
      res.shouldKeepAlive = false
      res.statusCode = 503
      res.setHeader(UNPROCESSED_HEADER, 'shutting-down')
      res.end(JSON.stringify({ statusCode: 503, code: 'SHUTTING_DOWN', error: 'Service Unavailable', message: 'x' }))
      return
    }
    res.end(JSON.stringify({ data: { userId: 1, currentPoints: 5 } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reached }
}

async function gatewayOver(t: Test, pointUrls: string[]) {
  // Each instance answers its readiness on its own port (above).
  const gateway = await startSplitGateway(t, { POINT_URLS: pointUrls.join(','), POINT_OPS_URLS: pointUrls.join(',') })
  /**
   * One request after another: a draining server's closing listener resets connections still waiting to
   * be accepted, which a burst would race (a write cut so is never replayed: see split.ts).
   */
  return async (method: 'GET' | 'PUT', times: number) => {
    const statuses: number[] = []
    for (let i = 0; i < times; i++) {
      const res = await request(`${gateway}/points/${method === 'GET' ? 'current/1' : 'charge'}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'PUT' ? JSON.stringify({ userId: 1, amount: i + 1 }) : undefined,
      })
      await res.body.dump()
      statuses.push(res.statusCode)
    }
    return tally(statuses)
  }
}

t.test(
  'an instance that is draining: what it refused unprocessed is served by another, reads and writes',
  async (t) => {
    const draining = await instance(t, 'drain')
    const healthy = await instance(t, 'answer')
    const send = await gatewayOver(t, [draining.url, healthy.url])
    t.same(await send('PUT', 100), { 200: 100 }, 'every write answered')
    const refused = draining.reached.length
    t.ok(refused > 0, `the draining instance refused ${refused} of them`)
    t.equal(tally(healthy.reached).PUT, 100, 'each write was done once, by the instance that served it')
    t.same(await send('GET', 100), { 200: 100 }, 'every read answered')
  },
)

t.test('an instance that is gone: a refused connection is sent to another, whatever the method', async (t) => {
  const gone = `http://127.0.0.1:${await freePort()}`
  const healthy = await instance(t, 'answer')
  const send = await gatewayOver(t, [gone, healthy.url])
  t.same(await send('GET', 100), { 200: 100 })
  t.same(await send('PUT', 100), { 200: 100 })
  t.equal(tally(healthy.reached).PUT, 100)
})

t.test('an instance killed mid-answer: a read is read again elsewhere, a write is never replayed', async (t) => {
  const killed = await instance(t, 'cut')
  const healthy = await instance(t, 'answer')
  const send = await gatewayOver(t, [killed.url, healthy.url])
  t.same(await send('GET', 100), { 200: 100 }, 'every read answered')
  const writes = await send('PUT', 100)
  const cut = tally(killed.reached).PUT ?? 0
  t.ok(cut > 0, `some writes reached the instance that cut them (${cut})`)
  t.same(writes, cut === 100 ? { 502: 100 } : { 200: 100 - cut, 502: cut }, 'a cut write is a 502, not a retry')
  t.equal(cut + (tally(healthy.reached).PUT ?? 0), 100, 'no write reached an instance twice')
})

t.test('with every instance gone the tries are bounded: a fast 503', async (t) => {
  const send = await gatewayOver(t, [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`])
  t.same(await send('PUT', 10), { 503: 10 })
})
