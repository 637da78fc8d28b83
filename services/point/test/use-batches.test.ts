import { contextDbs, createDb } from '@stagepass/db'
import { createTestDatabase, lockWallet, sessionCount } from '@stagepass/testkit'
import t from 'tap'
import { ledgerBatches, usePoints } from '../src/ledger.js'
import { takeUses } from '../src/use-batches.js'

// The uses of one turn are one transaction. On a pool of one connection, so the connection's own
// counters tell how many commits it sent.
const database = await createTestDatabase(t)
const single = createDb({ ...database.config, MYSQL_POOL_SIZE: 1, MYSQL_STATEMENT_TIMEOUT_MS: 1000 })
t.teardown(() => single.destroy())
const point = contextDbs(single).point

const commitsSoFar = () => sessionCount(single, 'Com_commit')

async function wallets(users: readonly number[]): Promise<number[]> {
  const rows = await database.db
    .selectFrom('point_wallet')
    .select(['user_id', 'balance'])
    .where('user_id', 'in', [...users])
    .execute()
  const byUser = new Map(rows.map((row) => [Number(row.user_id), Number(row.balance)]))
  return users.map((userId) => byUser.get(userId) ?? 0)
}

async function historyOf(reference: string) {
  return database.db
    .selectFrom('point_history')
    .select(['user_id', 'amount', 'balance_after'])
    .where('reference', '=', reference)
    .execute()
}

const giveWallets = (users: readonly number[], balance: number) =>
  database.db
    .insertInto('point_wallet')
    .values(users.map((userId) => ({ user_id: userId, balance })))
    .execute()

t.test('100 uses begun in one turn take each balance once, in one commit', async (t) => {
  const users = Array.from({ length: 100 }, (_, i) => 9000 + i)
  await giveWallets(users, 1000)
  const ledger = ledgerBatches(point)
  const before = await commitsSoFar()
  const writes = await Promise.all(
    users.map((userId, i) => usePoints(point, ledger, { userId, amount: 1 + i, reference: `turn-${i}` })),
  )
  t.equal((await commitsSoFar()) - before, 1, 'one commit')
  t.same(
    writes.map(({ entry, replayed }) => [entry.userId, entry.amount, entry.currentPoints, replayed]),
    users.map((userId, i) => [userId, 1 + i, 999 - i, false]),
    'each use answered with its own balance left',
  )
  t.same(
    await wallets(users),
    users.map((_, i) => 999 - i),
    'each wallet taken once',
  )
  const rows = await Promise.all(users.map((_, i) => historyOf(`turn-${i}`)))
  t.same(
    rows.map((r) => r.map((row) => [Number(row.user_id), Number(row.amount), Number(row.balance_after)])),
    users.map((userId, i) => [[userId, 1 + i, 999 - i]]),
    'one history row each, with the balance after it',
  )
})

t.test('uses of one wallet in one turn take one after another, each row with its own balance', async (t) => {
  await giveWallets([9200], 100)
  const outcomes = await takeUses(
    point,
    Array.from({ length: 6 }, (_, i) => ({ userId: 9200, amount: 30, reference: `same-wallet-${i}` })),
  )
  const taken = outcomes.filter((o) => !(o instanceof Error))
  t.equal(taken.length, 3, 'three of thirty fit in a hundred')
  t.equal(outcomes.filter((o) => o instanceof Error && o.code === 'INSUFFICIENT_POINTS').length, 3, 'three refused')
  t.same(
    taken.map((o) => !(o instanceof Error) && o.currentPoints).sort(),
    [10, 40, 70],
    'each answered the balance after it',
  )
  t.same(await wallets([9200]), [10], 'ninety taken')
  const rows = await database.db
    .selectFrom('point_history')
    .select('balance_after')
    .where('user_id', '=', 9200)
    .orderBy('id')
    .execute()
  t.same(
    rows.map((row) => Number(row.balance_after)),
    [70, 40, 10],
    'the refused uses left no row; the kept rows chain',
  )
})

t.test('a use the balance cannot cover is refused among others and leaves no trace', async (t) => {
  await giveWallets([9300, 9301, 9302], 50)
  const ledger = ledgerBatches(point)
  const results = await Promise.allSettled([
    usePoints(point, ledger, { userId: 9300, amount: 20, reference: 'cover-0' }),
    usePoints(point, ledger, { userId: 9301, amount: 80, reference: 'cover-1' }),
    usePoints(point, ledger, { userId: 9302, amount: 50, reference: 'cover-2' }),
  ])
  t.same(
    results.map((r) => (r.status === 'fulfilled' ? r.value.entry.currentPoints : (r.reason as { code: string }).code)),
    [30, 'INSUFFICIENT_POINTS', 0],
    'the one that did not fit is refused, the others taken',
  )
  t.same(await wallets([9300, 9301, 9302]), [30, 50, 0], 'nothing taken from the refused')
  t.same(await historyOf('cover-1'), [], 'no row for the refused use')
})

t.test('a voided reference among the uses of a turn is refused; the others are taken', async (t) => {
  const users = [9400, 9401, 9402, 9403]
  await giveWallets(users, 100)
  await database.db.insertInto('point_void').values({ reference: 'voided-2' }).execute()
  const ledger = ledgerBatches(point)
  const results = await Promise.allSettled(
    users.map((userId, i) => usePoints(point, ledger, { userId, amount: 40, reference: `voided-${i}` })),
  )
  t.same(
    results.map((r) => (r.status === 'fulfilled' ? r.value.entry.currentPoints : (r.reason as { code: string }).code)),
    [60, 60, 'REFERENCE_VOIDED', 60],
    'the voided one refused',
  )
  t.same(await wallets(users), [60, 60, 100, 60], 'nothing taken for the voided reference')
  t.same(await historyOf('voided-2'), [], 'no row for it')
})

t.test('one reference twice in one turn is taken once; the second is its replay', async (t) => {
  await giveWallets([9500, 9501], 100)
  const ledger = ledgerBatches(point)
  const [first, second, other] = await Promise.all([
    usePoints(point, ledger, { userId: 9500, amount: 70, reference: 'twice' }),
    usePoints(point, ledger, { userId: 9500, amount: 70, reference: 'twice' }),
    usePoints(point, ledger, { userId: 9501, amount: 10, reference: 'twice-other' }),
  ])
  t.same(
    [first?.replayed, second?.replayed].sort(),
    [false, true],
    'one took the points, the other was answered as its replay',
  )
  t.equal(first?.entry.historyId, second?.entry.historyId, 'the same entry')
  t.equal(other?.entry.currentPoints, 90, 'the other use of the turn taken')
  t.same(await wallets([9500, 9501]), [30, 90], 'taken once each')
})

t.test('a batch held up by a wallet locked elsewhere goes again use by use: only that use fails', async (t) => {
  const users = [9600, 9601, 9602]
  await giveWallets(users, 100)
  // Another transaction keeps the second wallet's row past the statement time limit (1 s here).
  const release = await lockWallet(database.db, 9601)
  const ledger = ledgerBatches(point)
  const outcomes = await Promise.allSettled(
    users.map((userId, i) => usePoints(point, ledger, { userId, amount: 40, reference: `locked-${i}` })),
  )
  await release()
  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'rejected', 'fulfilled'],
    'the two others taken',
  )
  t.same(await wallets(users), [60, 100, 60], 'nothing taken from the locked wallet')
  t.same(await historyOf('locked-1'), [], 'and no row for its use, for its caller to try again')
})
