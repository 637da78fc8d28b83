import type { Db } from '@stagepass/db'
import { concurrently, createTestDatabase, type TestDatabase, tally } from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'
import { randomInt, startPointService, sum } from './helpers.js'

const { db, config }: TestDatabase = await createTestDatabase(t)
const { api } = await startPointService(t, config)

async function balanceOf(db: Db, userId: number) {
  const row = await db.selectFrom('point_wallet').select('balance').where('user_id', '=', userId).executeTakeFirst()
  return row ? Number(row.balance) : 0
}

/** Sum of the history as signed movements: what the balance must equal. */
async function historyTotal(db: Db, userId: number) {
  const { rows } = await sql<{ total: string | null }>`
    select sum(case type when 'USE' then -amount else amount end) as total
    from point_history where user_id = ${userId}`.execute(db)
  return Number(rows[0]?.total ?? 0)
}

t.test('200 concurrent uses that together exceed the balance never overdraw it', async (t) => {
  const userId = 2001
  await api.put('/points/charge', { userId, amount: 10_000 })
  const amounts = Array.from({ length: 200 }, () => randomInt(1, 200))
  t.ok(sum(amounts) > 10_000, 'the uses ask for more than the balance')
  const results = await concurrently(200, (i) =>
    api.post('/internal/points/use', { userId, amount: amounts[i], reference: `overdraw-${i}` }),
  )
  const statuses = tally(results.map((r) => r.status))
  t.same(Object.keys(statuses).sort(), ['200', '409'], `only 200 and 409: ${JSON.stringify(statuses)}`)
  const taken = sum(results.map((r, i) => (r.status === 200 ? (amounts[i] as number) : 0)))
  const balance = await balanceOf(db, userId)
  t.equal(balance, 10_000 - taken, 'balance = charged - accepted uses')
  t.ok(balance >= 0, 'never negative')
  t.equal(balance, await historyTotal(db, userId), 'balance == sum(history)')
  for (const [i, r] of results.entries()) {
    if (r.status === 409) t.equal(r.body.code, 'INSUFFICIENT_POINTS')
    if (r.status !== 409) continue
    const trace = await db.selectFrom('point_history').select('id').where('reference', '=', `overdraw-${i}`).execute()
    if (trace.length) t.fail(`refused use overdraw-${i} left a history row`)
  }
  const uses = await db
    .selectFrom('point_history')
    .select('id')
    .where('user_id', '=', userId)
    .where('type', '=', 'USE')
    .execute()
  t.equal(uses.length, statuses['200'], 'one history row per accepted use')
})

t.test('the same use reference sent 50 times at once moves money once', async (t) => {
  const userId = 2002
  await api.put('/points/charge', { userId, amount: 1000 })
  const results = await concurrently(50, () =>
    api.post('/internal/points/use', { userId, amount: 300, reference: 'reservation:77' }),
  )
  t.same(tally(results.map((r) => r.status)), { 200: 50 })
  const historyIds = new Set(results.map((r) => r.body.data.historyId))
  t.equal(historyIds.size, 1, 'every caller gets the first result')
  t.ok(results.every((r) => r.body.data.currentPoints === 700))
  t.equal(await balanceOf(db, userId), 700)
  t.equal(await historyTotal(db, userId), 700)
})

t.test('the same reference racing itself for the whole balance still moves money once', async (t) => {
  const userId = 2007
  await api.put('/points/charge', { userId, amount: 300 })
  const results = await concurrently(50, () =>
    api.post('/internal/points/use', { userId, amount: 300, reference: 'reservation:78' }),
  )
  t.same(tally(results.map((r) => r.status)), { 200: 50 }, 'every replay gets the first result, none a 409')
  t.equal(new Set(results.map((r) => r.body.data.historyId)).size, 1)
  t.equal(await balanceOf(db, userId), 0)
  t.equal(await historyTotal(db, userId), 0)
})

t.test('a reference reused for a different amount or user is refused', async (t) => {
  await api.put('/points/charge', { userId: 2003, amount: 1000 })
  t.equal((await api.post('/internal/points/use', { userId: 2003, amount: 100, reference: 'r-2003' })).status, 200)
  const otherAmount = await api.post('/internal/points/use', { userId: 2003, amount: 200, reference: 'r-2003' })
  t.equal(otherAmount.status, 409)
  t.equal(otherAmount.body.code, 'REFERENCE_CONFLICT')
  const otherUser = await api.post('/internal/points/use', { userId: 2004, amount: 100, reference: 'r-2003' })
  t.equal(otherUser.body.code, 'REFERENCE_CONFLICT')
  t.equal(await balanceOf(db, 2003), 900)
})

t.test('a use the balance cannot cover is refused and leaves no trace', async (t) => {
  await api.put('/points/charge', { userId: 2005, amount: 50 })
  const refused = await api.post('/internal/points/use', { userId: 2005, amount: 51, reference: 'short-1' })
  t.equal(refused.status, 409)
  t.match(refused.body, { statusCode: 409, code: 'INSUFFICIENT_POINTS', error: 'Conflict' })
  t.equal(await balanceOf(db, 2005), 50)
  const rows = await db.selectFrom('point_history').select('id').where('reference', '=', 'short-1').execute()
  t.equal(rows.length, 0)
  const unknownUser = await api.post('/internal/points/use', { userId: 2999, amount: 1, reference: 'short-2' })
  t.equal(unknownUser.body.code, 'INSUFFICIENT_POINTS', 'a user who never charged has nothing to use')
})

t.test('a refund gives back exactly what the use took, once, even when sent 20 times at once', async (t) => {
  const userId = 2006
  await api.put('/points/charge', { userId, amount: 1000 })
  await api.post('/internal/points/use', { userId, amount: 400, reference: 'reservation:88' })
  const results = await concurrently(20, () => api.post('/internal/points/refund', { reference: 'reservation:88' }))
  t.same(tally(results.map((r) => r.status)), { 200: 20 })
  t.equal(new Set(results.map((r) => r.body.data.historyId)).size, 1)
  t.equal(await balanceOf(db, userId), 1000)
  t.equal(await historyTotal(db, userId), 1000)
  const missing = await api.post('/internal/points/refund', { reference: 'reservation:nope' })
  t.equal(missing.status, 404)
  t.equal(missing.body.code, 'POINT_USE_NOT_FOUND')
})

t.test('a refund of a reference never used voids it: a use arriving later is refused and takes nothing', async (t) => {
  const userId = 2007
  await api.put('/points/charge', { userId, amount: 1000 })
  const voided = await api.post('/internal/points/refund', { reference: 'reservation:late' })
  t.equal(voided.status, 404)
  t.equal(voided.body.code, 'POINT_USE_NOT_FOUND')
  const late = await api.post('/internal/points/use', { userId, amount: 400, reference: 'reservation:late' })
  t.equal(late.status, 409)
  t.equal(late.body.code, 'REFERENCE_VOIDED')
  t.equal(await balanceOf(db, userId), 1000, 'nothing taken')
  t.equal(await historyTotal(db, userId), 1000)
  const again = await api.post('/internal/points/refund', { reference: 'reservation:late' })
  t.equal(again.status, 404, 'voiding again changes nothing')
})

t.test(
  'a use and a refund racing on each of 200 references: every use is refunded or refused, never kept',
  async (t) => {
    const users = Array.from({ length: 200 }, (_, i) => 3000 + i)
    await concurrently(users.length, (i) => api.put('/points/charge', { userId: users[i], amount: 1000 }))
    // Each reference gets its use and its refund at once, in a random order.
    const calls = users.flatMap((userId) => {
      const reference = `race:${userId}`
      const use = () => api.post('/internal/points/use', { userId, amount: 600, reference })
      const refund = () => api.post('/internal/points/refund', { reference })
      return Math.random() < 0.5 ? [use, refund] : [refund, use]
    })
    const results = await concurrently(calls.length, (i) => (calls[i] as (typeof calls)[number])())
    const statuses = tally(results.map((r) => `${r.status} ${r.body.code ?? ''}`.trim()))
    t.ok(
      Object.keys(statuses).every((s) => ['200', '404 POINT_USE_NOT_FOUND', '409 REFERENCE_VOIDED'].includes(s)),
      `only uses, refunds, voids and refused uses: ${JSON.stringify(statuses)}`,
    )
    const { rows } = await sql<{ reference: string; uses: number; refunds: number; voids: number }>`
    select concat('race:', w.user_id) as reference,
           (select count(*) from point_history h where h.reference = concat('race:', w.user_id) and h.type = 'USE') as uses,
           (select count(*) from point_history h where h.reference = concat('race:', w.user_id) and h.type = 'REFUND') as refunds,
           (select count(*) from point_void v where v.reference = concat('race:', w.user_id)) as voids
    from point_wallet w where w.user_id between ${users[0]} and ${users.at(-1)}`.execute(db)
    t.equal(rows.length, users.length)
    const kept = rows.filter((r) => Number(r.uses) !== Number(r.refunds))
    t.same(kept, [], 'no use without its refund')
    const both = rows.filter((r) => Number(r.uses) > 0 && Number(r.voids) > 0)
    t.same(both, [], 'no reference both used and void')
    for (const userId of users) {
      if ((await balanceOf(db, userId)) !== 1000) t.fail(`user ${userId} lost points`)
      if ((await historyTotal(db, userId)) !== 1000) t.fail(`user ${userId}: history does not add up`)
    }
    t.comment(`outcomes: ${JSON.stringify(statuses)}`)
  },
)

t.test('bad input on the internal routes is a 400 naming the field, and writes nothing', async (t) => {
  const before = await db.selectFrom('point_history').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
  const bad: Array<[string, unknown]> = [
    ['/internal/points/use', {}],
    ['/internal/points/use', { userId: 1, amount: 10 }],
    ['/internal/points/use', { userId: '1', amount: 10, reference: 'x' }],
    ['/internal/points/use', { userId: 1, amount: 0, reference: 'x' }],
    ['/internal/points/use', { userId: 1, amount: -5, reference: 'x' }],
    ['/internal/points/use', { userId: 1, amount: 1.5, reference: 'x' }],
    ['/internal/points/use', { userId: 1, amount: 10, reference: 'has space' }],
    ['/internal/points/use', { userId: 1, amount: 10, reference: 'r'.repeat(65) }],
    ['/internal/points/use', { userId: 1, amount: 10, reference: 'x', extra: true }],
    ['/internal/points/refund', {}],
    ['/internal/points/refund', { reference: 5 }],
  ]
  for (const [path, body] of bad) {
    const res = await api.post(path, body)
    t.equal(res.status, 400, `${path} ${JSON.stringify(body)}`)
    t.equal(res.body.code, 'VALIDATION_ERROR')
    t.match(res.body.message, /^body/)
  }
  const after = await db.selectFrom('point_history').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
  t.equal(Number(after.n), Number(before.n), 'nothing written')
})
