import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { measure } from '../src/bench/measure.js'

/**
 * A stampede on open connections: every connection is opened (and answered) before the first
 * measured request is sent, and the figures count the measured requests only.
 */
t.test('open connections: all opened before the first measured request; openings not counted', async (t) => {
  const connections = 40
  const seen = { openings: 0, answered: 0, sockets: 0, measured: 0, answeredBeforeFirstMeasured: -1 }
  const server = createServer((req, res) => {
    if (req.url === '/open') {
      // Answered one by one, 5 ms apart: a connection answered early must still wait for the last.
      setTimeout(
        () => {
          seen.answered++
          res.writeHead(204).end()
        },
        ++seen.openings * 5,
      )
      return
    }
    if (seen.measured++ === 0) seen.answeredBeforeFirstMeasured = seen.answered
    // Every tenth one a refusal, as the scenario expects; never the opening's status.
    res.writeHead(seen.measured % 10 === 0 ? 409 : 200, { 'content-type': 'application/json' }).end('{}')
  })
  server.on('connection', () => seen.sockets++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as AddressInfo

  const m = await measure(
    `http://127.0.0.1:${port}`,
    {
      name: 'open first',
      method: 'POST',
      openWith: '/open',
      expected: [409],
      request: () => ({ path: '/hold', body: { seatId: 1 } }),
    },
    { duration: 1, connections },
  )

  t.equal(seen.sockets, connections, 'one socket per connection')
  t.equal(seen.openings, connections, 'each connection opened once')
  t.equal(seen.answeredBeforeFirstMeasured, connections, 'no measured request before the last opening was answered')
  t.ok(seen.measured > connections, `measured requests followed (${seen.measured})`)
  t.notOk('204' in m.statuses, 'the openings are not among the statuses')
  const counted = (m.statuses['200'] ?? 0) + (m.statuses['409'] ?? 0)
  t.ok(counted > 0 && counted <= seen.measured, `only measured answers counted (${counted} of ${seen.measured})`)
  t.equal(m.outcomes.won.count, m.statuses['200'], 'winners: the 200s')
  t.equal(m.outcomes.refused.count, m.statuses['409'], 'refused: the 409s')
  t.equal(m.unexpected, 0)
  t.ok(m.rps > 0 && m.p99 >= m.p50, 'throughput and latency from the measured answers')
})
