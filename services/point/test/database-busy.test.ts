import { registry } from '@stagepass/kit'
import {
  type ApiResponse,
  concurrently,
  createTestDatabase,
  eventually,
  lockWallet,
  startTcpProxy,
  tally,
  tallyAnswers,
} from '@stagepass/testkit'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { startPointService } from './helpers.js'

const { db, config } = await createTestDatabase(t)

async function walletAndLedger(userId: number) {
  const wallet = await db.selectFrom('point_wallet').select('balance').where('user_id', '=', userId).executeTakeFirst()
  const { rows } = await sql<{ total: string | null; entries: number }>`
    select sum(amount) as total, count(*) as entries from point_history where user_id = ${userId}`.execute(db)
  return {
    balance: Number(wallet?.balance ?? 0),
    ledger: Number(rows[0]?.total ?? 0),
    entries: Number(rows[0]?.entries),
  }
}

async function peakWaiting(): Promise<number> {
  const metric = await registry.getSingleMetric('db_pool_waiting_peak')?.get()
  return Number(metric?.values[0]?.value)
}

function expectBusy(t: Test, res: ApiResponse) {
  t.equal(res.status, 503)
  t.match(res.body, { statusCode: 503, code: 'DATABASE_BUSY', error: 'Service Unavailable' })
  t.equal(res.headers['retry-after'], '1', 'says when to retry')
}

t.test('a flood on one wallet with a small pool: the line stays bounded, the rest is refused at once', async (t) => {
  const { api } = await startPointService(t, {
    ...config,
    MYSQL_POOL_SIZE: 2,
    MYSQL_QUEUE_LIMIT: 20,
    // Long enough that only the line's length refuses requests here.
    MYSQL_QUEUE_TIMEOUT_MS: 60_000,
    MYSQL_STATEMENT_TIMEOUT_MS: 60_000,
  })
  const userId = 3001
  t.equal((await api.put('/points/charge', { userId, amount: 1000 })).status, 200)
  const unlock = await lockWallet(db, userId)

  // Both connections wait for the lock and 20 requests wait for them: every other one is refused.
  const answered: ApiResponse[] = []
  const flood = concurrently(300, async () => {
    const res = await api.put('/points/charge', { userId, amount: 10 })
    answered.push(res)
    return res
  })
  t.ok(await eventually(async () => answered.length >= 300 - 2 - 20, 30_000), 'refusals came while the lock was held')
  t.ok(answered.length > 0 && answered.every((res) => res.status === 503), 'all answered while locked were refused')
  for (const res of answered.slice(0, 3)) expectBusy(t, res)
  await unlock()

  const results = await flood
  const statuses = tally(results.map((r) => r.status))
  t.same(statuses, { 200: 22, 503: 278 }, 'the pool and its line served 22, the rest was refused')
  t.ok((await peakWaiting()) <= 20, 'never more than MYSQL_QUEUE_LIMIT requests waited')
  const after = await walletAndLedger(userId)
  t.equal(after.balance, 1000 + 10 * (statuses['200'] ?? 0), 'each accepted charge counted once')
  t.equal(after.balance, after.ledger, 'balance = sum of the ledger: no point lost or created')
  t.equal(after.entries, 1 + (statuses['200'] ?? 0), 'nothing written for refused requests')
})

t.test('a statement waiting for a lock past the time limit is refused with 503, not retried', async (t) => {
  const { api } = await startPointService(t, { ...config, MYSQL_POOL_SIZE: 4, MYSQL_STATEMENT_TIMEOUT_MS: 1000 })
  const userId = 3002
  t.equal((await api.put('/points/charge', { userId, amount: 500 })).status, 200)
  const unlock = await lockWallet(db, userId)
  try {
    const results = await concurrently(8, () => api.put('/points/charge', { userId, amount: 5 }))
    for (const res of results) expectBusy(t, res)
  } finally {
    await unlock()
  }
  t.same(await walletAndLedger(userId), { balance: 500, ledger: 500, entries: 1 }, 'nothing written')
  t.equal((await api.put('/points/charge', { userId, amount: 5 })).status, 200, 'serves again once the lock is gone')
})

// By id: connections of the services of the tests before may still be closing.
const connections = async () => {
  const { rows } = await sql<{ id: number }>`
    select id from information_schema.processlist where db = ${config.MYSQL_DATABASE}`.execute(db)
  return new Set(rows.map((r) => Number(r.id)))
}
const opened = (before: Set<number>, after: Set<number>) => [...after].filter((id) => !before.has(id))

t.test('the pool is open before the first request: a burst at the opening makes no connections', async (t) => {
  const beforeStart = await connections()
  const { api } = await startPointService(t, { ...config, MYSQL_POOL_SIZE: 6 })
  const afterStart = await connections()
  t.equal(opened(beforeStart, afterStart).length, 6, 'all MYSQL_POOL_SIZE connections open once the service listens')
  const results = await concurrently(200, (i) => api.get(`/points/current/${4000 + i}`))
  t.same(tallyAnswers(results), { 200: 200 })
  t.same(opened(afterStart, await connections()), [], 'the burst used them, and opened none')
})

t.test('a pool that could not open at start fills itself once MySQL answers, before any request', async (t) => {
  const proxy = await startTcpProxy(t, config.MYSQL_HOST, config.MYSQL_PORT)
  await proxy.disable()
  const before = await connections()
  await startPointService(t, { ...config, MYSQL_HOST: '127.0.0.1', MYSQL_PORT: proxy.port, MYSQL_POOL_SIZE: 4 })
  t.same(opened(before, await connections()), [], 'MySQL unreachable: nothing open, and the service listens')
  await proxy.enable()
  t.ok(
    await eventually(async () => opened(before, await connections()).length === 4),
    'all four connections open without a request asking for one',
  )
})
