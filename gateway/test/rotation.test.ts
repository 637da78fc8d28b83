import { createServer } from 'node:http'
import { eventually, tally } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { listening } from './helpers/listening.js'
import { startSplitGateway } from './helpers/split-gateway.js'

/** A point instance whose readiness the test sets; it counts the requests it served. */
async function instance(t: Test, name: string) {
  const state = { ready: true, served: 0 }
  const url = await listening(
    t,
    createServer((req, res) => {
      state.served++
      req.resume()
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ data: { userId: 1, currentPoints: 0, from: name } }))
    }),
  )
  const opsUrl = await listening(
    t,
    createServer((_req, res) => {
      res.statusCode = state.ready ? 200 : 503
      res.end('{}')
    }),
  )
  return { url, opsUrl, state }
}

async function gatewayOver(t: Test, instances: Array<{ url: string; opsUrl: string }>) {
  const gateway = await startSplitGateway(t, {
    POINT_URLS: instances.map((i) => i.url).join(','),
    POINT_OPS_URLS: instances.map((i) => i.opsUrl).join(','),
  })
  return async (times: number) => {
    const statuses = await Promise.all(
      Array.from({ length: times }, async () => {
        const res = await request(`${gateway}/points/current/1`)
        await res.body.dump()
        return res.statusCode
      }),
    )
    return tally(statuses)
  }
}

t.test('an instance that reports not ready gets no requests until it is ready again', async (t) => {
  const [a, b] = [await instance(t, 'a'), await instance(t, 'b')]
  const send = await gatewayOver(t, [a, b])
  t.same(await send(40), { 200: 40 })
  t.ok(a.state.served > 0 && b.state.served > 0, `both serve (${a.state.served}, ${b.state.served})`)

  a.state.ready = false
  // Out once a round of probes has seen it: then a burst reaches b only.
  t.ok(
    await eventually(async () => {
      const before = a.state.served
      await send(20)
      return a.state.served === before
    }),
    'taken out of rotation',
  )
  const servedByA = a.state.served
  t.same(await send(100), { 200: 100 }, 'every request answered')
  t.equal(a.state.served, servedByA, 'none of them by the instance that is not ready')

  a.state.ready = true
  t.ok(
    await eventually(async () => {
      const before = a.state.served
      await send(20)
      return a.state.served > before
    }),
    'back in rotation once ready',
  )
})

t.test('while no instance is ready, none is taken out: the answers say what is wrong', async (t) => {
  const [a, b] = [await instance(t, 'a'), await instance(t, 'b')]
  const send = await gatewayOver(t, [a, b])
  a.state.ready = false
  b.state.ready = false
  // Several probe rounds: the gateway goes on sending to both.
  t.ok(
    await eventually(async () => {
      const before = [a.state.served, b.state.served]
      await send(40)
      return a.state.served > (before[0] ?? 0) && b.state.served > (before[1] ?? 0)
    }),
    'both still get requests',
  )
  t.same(await send(40), { 200: 40 })
})
