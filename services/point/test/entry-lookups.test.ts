import { contextDbs, createDb } from '@stagepass/db'
import { createTestDatabase, sessionCount } from '@stagepass/testkit'
import t from 'tap'
import { ledgerBatches, usePoints } from '../src/ledger.js'

// The lookups before ledger writes begun in one turn of the event loop are one query. On a pool of
// one connection, so the connection's own counter tells how many reads it sent.
const database = await createTestDatabase(t)
const single = createDb({ ...database.config, MYSQL_POOL_SIZE: 1 })
t.teardown(() => single.destroy())
const point = contextDbs(single).point

const selectsSoFar = () => sessionCount(single, 'Com_select')

t.test('the lookups of one turn are one query, each answered with its own entry', async (t) => {
  const users = Array.from({ length: 20 }, (_, i) => 7000 + i)
  await database.db
    .insertInto('point_wallet')
    .values(users.map((userId) => ({ user_id: userId, balance: 1000 })))
    .execute()
  const ledger = ledgerBatches(point)
  for (const [i, userId] of users.entries()) {
    await usePoints(point, ledger, { userId, amount: 10 + i, reference: `lookup-${i}` })
  }
  const before = await selectsSoFar()
  const found = await Promise.all([
    ...users.map((_, i) => ledger.lookup({ type: 'USE', reference: `lookup-${i}` })),
    ledger.lookup({ type: 'REFUND', reference: 'lookup-0' }),
    ledger.lookup({ type: 'USE', reference: 'never-used' }),
  ])
  t.equal((await selectsSoFar()) - before, 1, 'one query')
  t.same(
    found.slice(0, users.length).map((entry) => [entry?.userId, entry?.amount, entry?.currentPoints]),
    users.map((userId, i) => [userId, 10 + i, 1000 - 10 - i]),
    'each lookup answered with its own use',
  )
  t.same(
    found.slice(users.length),
    [undefined, undefined],
    'no entry for a refund never made or a reference never used',
  )
})

t.test('a use replayed in the same turn as others is answered with its first outcome and moves nothing', async (t) => {
  await database.db.insertInto('point_wallet').values({ user_id: 7100, balance: 500 }).execute()
  const ledger = ledgerBatches(point)
  const first = await usePoints(point, ledger, { userId: 7100, amount: 200, reference: 'replayed-use' })
  const again = await Promise.all(
    Array.from({ length: 10 }, () =>
      usePoints(point, ledger, { userId: 7100, amount: 200, reference: 'replayed-use' }),
    ),
  )
  t.ok(
    again.every(({ entry, replayed }) => replayed && entry.historyId === first.entry.historyId),
    'every replay is the first use',
  )
  const wallet = await database.db
    .selectFrom('point_wallet')
    .select('balance')
    .where('user_id', '=', 7100)
    .executeTakeFirstOrThrow()
  t.equal(Number(wallet.balance), 300, 'taken once')
})
