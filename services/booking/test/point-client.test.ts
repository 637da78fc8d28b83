import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { UNPROCESSED_HEADER } from '@stagepass/kit'
import { bookingSigner, createTestDatabase, eventually, freePort } from '@stagepass/testkit'
import t, { type Test } from 'tap'
import { createHttpPointClient } from '../src/points.js'
import { startPointService } from './helpers/booking.js'

const database = await createTestDatabase(t)
const point = await startPointService(t, database.config)

/**
 * A point instance that is draining, as a kit server does: it takes no new connection, and refuses each
 * call on one it had open unprocessed, closing it.
 */
async function drainingInstance(t: Test) {
  let refused = 0
  const server = createServer((req, res) => {
    refused++
    server.close()
    req.resume()
    res.shouldKeepAlive = false
    res.statusCode = 503
    res.setHeader(UNPROCESSED_HEADER, 'shutting-down')
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ statusCode: 503, code: 'SHUTTING_DOWN', error: 'Service Unavailable', message: 'x' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, refused: () => refused }
}

/** The call as it arrived, sent on to the real point service: its answer. */
async function forward(req: IncomingMessage, pointUrl: string): Promise<Response> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
  ) as Record<string, string>
  return fetch(`${pointUrl}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) })
}

/**
 * A point instance killed just after it served a call: the call reaches point (forwarded as sent) and
 * is made there, but its connection is cut before the answer.
 */
async function cutAfterServing(t: Test, pointUrl: string) {
  let cut = 0
  const server = createServer(async (req, res) => {
    await (await forward(req, pointUrl)).text()
    cut++
    res.socket?.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cut: () => cut }
}

/** The wallet's balance and the uses in its history, from MySQL. */
const ledgerOf = async (userId: number) => ({
  balance: (
    await database.db
      .selectFrom('point_wallet')
      .select('balance')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
  ).balance,
  uses: (
    await database.db
      .selectFrom('point_history')
      .select('id')
      .where('user_id', '=', userId)
      .where('type', '=', 'USE')
      .execute()
  ).length,
})

t.test('a use that one point instance did nothing with is made by another, once', async (t) => {
  const draining = await drainingInstance(t)
  const gone = `http://127.0.0.1:${await freePort()}`
  const client = createHttpPointClient([draining.url, gone, point.url], { signer: bookingSigner() })
  t.teardown(() => client.close?.())
  const users = Array.from({ length: 40 }, (_, i) => 8100 + i)
  for (const userId of users) await point.charge(userId, 100)

  // One after another: a closing listener resets connections still waiting to be accepted, which a
  // burst would race (a call cut so may have reached point: it is never replayed).
  const used: Array<{ currentPoints: number }> = []
  for (const userId of users) used.push(await client.use({ userId, amount: 30, reference: `reservation:${userId}` }))
  t.same(
    used.map((u) => u.currentPoints),
    users.map(() => 70),
    'every use answered, as made once',
  )
  t.ok(draining.refused() > 0, `the draining instance refused ${draining.refused()} calls`)
  t.same(
    await Promise.all(users.map(ledgerOf)),
    users.map(() => ({ balance: 70, uses: 1 })),
    'and in the ledger: one use of 30 each',
  )
})

t.test('with every point instance gone, a use fails fast as unavailable', async (t) => {
  const client = createHttpPointClient(
    [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`],
    {
      signer: bookingSigner(),
    },
  )
  t.teardown(() => client.close?.())
  await t.rejects(client.use({ userId: 8200, amount: 1, reference: 'reservation:8200' }), {
    code: 'UPSTREAM_UNAVAILABLE',
  })
})

t.test('a use whose answer was cut off is asked again elsewhere and answered as made, once', async (t) => {
  const killed = await cutAfterServing(t, point.url)
  const client = createHttpPointClient([killed.url, point.url], { signer: bookingSigner() })
  t.teardown(() => client.close?.())
  const users = Array.from({ length: 20 }, (_, i) => 8300 + i)
  for (const userId of users) await point.charge(userId, 100)
  const used: Array<{ currentPoints: number }> = []
  for (const userId of users) used.push(await client.use({ userId, amount: 30, reference: `reservation:${userId}` }))
  t.ok(killed.cut() > 0, `${killed.cut()} uses were made and their answers cut`)
  t.same(
    used.map((u) => u.currentPoints),
    users.map(() => 70),
    'each answered with the one use',
  )
  t.same(
    await Promise.all(users.map(ledgerOf)),
    users.map(() => ({ balance: 70, uses: 1 })),
    'and in the ledger: one use of 30 each',
  )
})

/** A point instance that reports not ready (it is stopping) but would still serve: it counts the calls it gets. */
async function notReadyInstance(t: Test, pointUrl: string) {
  let called = 0
  const serving = createServer(async (req, res) => {
    called++
    const answer = await forward(req, pointUrl)
    res.statusCode = answer.status
    res.setHeader('content-type', 'application/json')
    res.end(await answer.text())
  })
  const readiness = createServer((_req, res) => {
    res.statusCode = 503
    res.end('{}')
  })
  for (const server of [serving, readiness]) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => {
      server.closeAllConnections()
      server.close()
    })
  }
  const urlOf = (server: typeof serving) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url: urlOf(serving), opsUrl: urlOf(readiness), called: () => called }
}

t.test('a point instance that reports not ready is taken out of rotation: calls go to the ready one', async (t) => {
  const stopping = await notReadyInstance(t, point.url)
  const client = createHttpPointClient([stopping.url, point.url], {
    signer: bookingSigner(),
    opsUrls: [stopping.opsUrl, point.opsUrl],
  })
  t.teardown(() => client.close?.())
  const userId = 8400
  await point.charge(userId, 100_000)
  let made = 0
  const burst = (calls: number) =>
    Promise.all(
      Array.from({ length: calls }, () => client.use({ userId, amount: 1, reference: `reservation:${++made}` })),
    )

  // Out once a round of probes has seen it: then a burst reaches the ready instance only.
  t.ok(
    await eventually(async () => {
      const before = stopping.called()
      await burst(20)
      return stopping.called() === before
    }),
    'taken out of rotation',
  )
  const calledBefore = stopping.called()
  t.equal((await burst(100)).length, 100, 'every use answered')
  t.equal(stopping.called(), calledBefore, 'none of them by the instance that is not ready')
  t.same(await ledgerOf(userId), { balance: 100_000 - made, uses: made }, 'each use made once, in the ledger')
})
