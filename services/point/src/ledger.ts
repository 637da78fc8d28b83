import {
  inTransaction,
  isDuplicateKey,
  type PointDb,
  type PointHistoryType,
  type PointTransaction,
} from '@stagepass/db'
import { batchPerTurn, PointUseNotFoundError, ReferenceConflictError } from '@stagepass/kit'
import { sql } from 'kysely'
import { BalanceLimitError, DailyChargeLimitError } from './errors.js'
import { type PointUse, type UseBatches, useBatches } from './use-batches.js'

export interface Balance {
  userId: number
  currentPoints: number
}

/** The outcome of a `use` or `refund`; replaying the same reference returns the first outcome. */
export interface LedgerEntry extends Balance {
  historyId: number
  type: PointHistoryType
  amount: number
  reference: string
}

/** A `use` or `refund` answered: `replayed` when an earlier call with the reference made the write. */
export interface LedgerWrite {
  entry: LedgerEntry
  replayed: boolean
}

export interface HistoryPage {
  userId: number
  history: Array<{
    id: number
    type: PointHistoryType
    amount: number
    balanceAfter: number
    reference: string | null
    createdAt: string
  }>
  nextCursor: string | null
}

type Trx = PointTransaction

// MariaDB and MySQL report a violated CHECK constraint under different numbers.
const CHECK_VIOLATIONS = new Set([4025, 3819])

function errno(err: unknown): number | undefined {
  return (err as { errno?: number }).errno
}

/** Adds to a balance inside `trx` and returns the new balance; the row lock serialises writers. */
async function addToBalance(trx: Trx, userId: number, delta: number): Promise<number> {
  await trx
    .insertInto('point_wallet')
    .values({ user_id: userId, balance: delta })
    .onDuplicateKeyUpdate({ balance: sql`balance + ${delta}` })
    .execute()
  return readBalance(trx, userId)
}

async function readBalance(trx: Trx, userId: number): Promise<number> {
  const row = await trx
    .selectFrom('point_wallet')
    .select('balance')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return Number(row.balance)
}

async function recordHistory(
  trx: Trx,
  entry: { userId: number; type: PointHistoryType; amount: number; balanceAfter: number; reference: string | null },
): Promise<number> {
  const result = await trx
    .insertInto('point_history')
    .values({
      user_id: entry.userId,
      type: entry.type,
      amount: entry.amount,
      balance_after: entry.balanceAfter,
      reference: entry.reference,
    })
    .executeTakeFirstOrThrow()
  return Number(result.insertId)
}

/** Won the user charged in the last 24 hours; called with the wallet's row lock held. */
async function chargedInLastDay(trx: Trx, userId: number): Promise<number> {
  const row = await trx
    .selectFrom('point_history')
    .select(sql<string>`coalesce(sum(amount), 0)`.as('total'))
    .where('user_id', '=', userId)
    .where('type', '=', 'CHARGE')
    .where('created_at', '>', sql<Date>`now(3) - interval 1 day`)
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

/**
 * Adds `amount` to the user's balance. With a `dailyLimit` (a signed-in user topping up), charges
 * over the last 24 hours may not exceed it: checked under the wallet's row lock, so concurrent
 * charges cannot pass it together; a refused charge rolls back and writes nothing.
 */
export async function chargePoints(db: PointDb, userId: number, amount: number, dailyLimit?: number): Promise<Balance> {
  try {
    return await inTransaction(db, async (trx) => {
      const balance = await addToBalance(trx, userId, amount)
      if (dailyLimit !== undefined) {
        const charged = await chargedInLastDay(trx, userId)
        if (charged + amount > dailyLimit) {
          throw new DailyChargeLimitError(amount, dailyLimit, Math.max(dailyLimit - charged, 0))
        }
      }
      await recordHistory(trx, { userId, type: 'CHARGE', amount, balanceAfter: balance, reference: null })
      return { userId, currentPoints: balance }
    })
  } catch (err) {
    if (CHECK_VIOLATIONS.has(errno(err) ?? 0)) throw new BalanceLimitError(amount)
    throw err
  }
}

export async function getBalance(db: PointDb, userId: number): Promise<Balance> {
  const row = await db.selectFrom('point_wallet').select('balance').where('user_id', '=', userId).executeTakeFirst()
  return { userId, currentPoints: row ? Number(row.balance) : 0 }
}

async function findEntry(
  db: PointDb | Trx,
  type: PointHistoryType,
  reference: string,
  { locking = false } = {},
): Promise<LedgerEntry | undefined> {
  const query = db
    .selectFrom('point_history')
    .select(['id', 'user_id', 'type', 'amount', 'balance_after', 'reference'])
    .where('type', '=', type)
    .where('reference', '=', reference)
  const row = await (locking ? query.forUpdate() : query).executeTakeFirst()
  return row && entryOf(row, reference)
}

const entryOf = (
  row: { id: number; user_id: number; type: PointHistoryType; amount: number; balance_after: number },
  reference: string,
): LedgerEntry => ({
  historyId: Number(row.id),
  userId: Number(row.user_id),
  type: row.type,
  amount: Number(row.amount),
  currentPoints: Number(row.balance_after),
  reference,
})

/** A ledger entry looked for by its (type, reference). */
export interface EntryKey {
  type: PointHistoryType
  reference: string
}

/** The entries with these keys, in one query; undefined where there is none. */
async function findEntries(db: PointDb, keys: readonly EntryKey[]): Promise<Array<LedgerEntry | undefined>> {
  const rows = await db
    .selectFrom('point_history')
    .select(['id', 'user_id', 'type', 'amount', 'balance_after', 'reference'])
    .where((eb) => eb.or(keys.map(({ type, reference }) => eb.and({ type, reference }))))
    .execute()
  const found = new Map(rows.map((row) => [`${row.type} ${row.reference}`, row]))
  return keys.map(({ type, reference }) => {
    const row = found.get(`${type} ${reference}`)
    return row && entryOf(row, reference)
  })
}

/**
 * The lookups before ledger writes, shared by the writes begun in one turn of the event loop: a
 * crowd paying at once looks its references up in one query (docs/booking.md, "The payments of one
 * turn, together").
 */
export function entryLookups(db: PointDb): (key: EntryKey) => Promise<LedgerEntry | undefined> {
  return batchPerTurn((keys) => findEntries(db, keys), { maxItems: 200 })
}

export type EntryLookup = ReturnType<typeof entryLookups>

/** The ledger's writes shared per turn of the event loop: the lookups before a write, and the uses. */
export interface LedgerBatches {
  lookup: EntryLookup
  take: UseBatches
}

export const ledgerBatches = (db: PointDb): LedgerBatches => ({ lookup: entryLookups(db), take: useBatches(db) })

/**
 * Runs a ledger write (its own transaction) at most once per (type, reference). A replay, including
 * one racing the first call, returns the first outcome: the unique key on (type, reference) rolls
 * the loser back. The lookup before the write keeps a storm of replays (a client retrying one
 * payment a hundred times at once) off the wallet's row lock, which each would otherwise take in turn.
 */
async function once(
  db: PointDb,
  lookup: EntryLookup,
  type: PointHistoryType,
  reference: string,
  write: () => Promise<LedgerEntry>,
): Promise<LedgerWrite | undefined> {
  const existing = await lookup({ type, reference })
  if (existing) return { entry: existing, replayed: true }
  try {
    return { entry: await write(), replayed: false }
  } catch (err) {
    // A call racing the first one waits for the wallet's row lock, then fails — on the unique key,
    // or on a balance the first call already spent. Either way it is a replay: answer as the first.
    const first = await findEntry(db, type, reference)
    if (first) return { entry: first, replayed: true }
    if (isDuplicateKey(err)) return undefined
    throw err
  }
}

/**
 * Takes `amount` points if the balance covers it and the reference was not voided; refused calls
 * leave no trace. The use is written before the void is looked for, and a void is written before
 * the use is looked for (both as locking reads), so a use and a void racing on one reference
 * cannot both commit: whichever comes second sees the first, or waits for it.
 *
 * The uses of one turn go together (`use-batches.ts`): the balance is taken if it covers the amount,
 * answering the balance left (`last_insert_id(balance - ?)`, no read after the update); the history
 * row is written with that balance; the void is looked for; then the rows of refused uses are
 * deleted, with the commit. Every insert here is a plain `insert … values`: an `insert … select`
 * would take InnoDB's table-wide AUTO-INC lock for the statement, and under a race with refunds
 * MariaDB then fails it with "Failed to read auto-increment value from storage engine" instead of a
 * deadlock that could be retried.
 */
export async function usePoints(
  db: PointDb,
  ledger: LedgerBatches,
  { userId, amount, reference }: PointUse,
): Promise<LedgerWrite> {
  const write = await once(db, ledger.lookup, 'USE', reference, async () => {
    const outcome = await ledger.take({ userId, amount, reference })
    if (outcome instanceof Error) throw outcome
    return outcome
  })
  if (!write) throw new ReferenceConflictError(reference)
  if (write.entry.userId !== userId || write.entry.amount !== amount) throw new ReferenceConflictError(reference)
  return write
}

/**
 * Gives back the points taken by the `use` with this reference, once. A reference never used is
 * voided instead (POINT_USE_NOT_FOUND): a use that arrives later with it is refused, so a use
 * held up past the caller's patience cannot take points after the caller gave the payment up.
 */
export async function refundPoints(
  db: PointDb,
  ledger: LedgerBatches,
  { reference }: { reference: string },
): Promise<LedgerWrite> {
  const existing = await ledger.lookup({ type: 'REFUND', reference })
  if (existing) return { entry: existing, replayed: true }
  let outcome: LedgerEntry | 'VOIDED'
  try {
    outcome = await inTransaction(db, async (trx) => {
      await trx.insertInto('point_void').ignore().values({ reference }).execute()
      const use = await findEntry(trx, 'USE', reference, { locking: true })
      if (!use) return 'VOIDED'
      await trx.deleteFrom('point_void').where('reference', '=', reference).execute()
      const balance = await addToBalance(trx, use.userId, use.amount)
      const historyId = await recordHistory(trx, {
        userId: use.userId,
        type: 'REFUND',
        amount: use.amount,
        balanceAfter: balance,
        reference,
      })
      return { historyId, userId: use.userId, type: 'REFUND', amount: use.amount, currentPoints: balance, reference }
    })
  } catch (err) {
    // A refund racing this one committed first (the unique key): answer as the first.
    const first = await findEntry(db, 'REFUND', reference)
    if (first) return { entry: first, replayed: true }
    if (isDuplicateKey(err)) throw new ReferenceConflictError(reference)
    throw err
  }
  if (outcome === 'VOIDED') throw new PointUseNotFoundError(reference)
  return { entry: outcome, replayed: false }
}

export async function listHistory(
  db: PointDb,
  { userId, limit, cursor }: { userId: number; limit: number; cursor?: string | undefined },
): Promise<HistoryPage> {
  let query = db
    .selectFrom('point_history')
    .select(['id', 'type', 'amount', 'balance_after', 'reference', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(limit + 1)
  if (cursor) query = query.where('id', '<', Number(cursor))
  const rows = await query.execute()
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    userId,
    history: page.map((row) => ({
      id: Number(row.id),
      type: row.type,
      amount: Number(row.amount),
      balanceAfter: Number(row.balance_after),
      reference: row.reference,
      createdAt: row.created_at.toISOString(),
    })),
    nextCursor: rows.length > limit && last ? String(last.id) : null,
  }
}
