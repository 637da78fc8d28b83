import { CompiledQuery, type Kysely, type Transaction } from 'kysely'
import type { Reach, TransactionOf } from './context-db.js'

const ER_LOCK_DEADLOCK = 1213

/**
 * Runs `work` in a transaction of the context's handle. When InnoDB rolls the transaction back as a
 * deadlock victim (errno 1213, as it may for concurrent upserts of one new key), `work` runs again in
 * a fresh transaction, up to `retries` more times (5 by default), after a random pause of up to
 * 5, 10, 20, 40, 80 ms; past that, or on any other error, the error is thrown. `work` must be safe to
 * run again. A lock wait timeout is not retried: it means the row is contended past the statement time
 * limit, and waiting again would only hold a pool connection longer; it is answered 503 `DATABASE_BUSY`.
 */
export async function inTransaction<D extends Reach<unknown, unknown>, T>(
  db: D,
  work: (trx: TransactionOf<D>) => Promise<T>,
  retries = 5,
): Promise<T> {
  // The handle is the pool itself (`contextDbs`), and its transaction is given the handle's reach.
  const pool = db as unknown as Kysely<unknown>
  const run = work as unknown as (trx: Transaction<unknown>) => Promise<T>
  return retryDeadlockVictim(() => pool.transaction().execute(run), retries)
}

/** A statement compiled from a context's handle (`.compile()`), so it reaches what the handle reaches. */
export interface Statement {
  readonly sql: string
  readonly parameters: readonly unknown[]
}

/** What MySQL answers a write: the rows it matched or changed, and the id it generated (else 0). */
export interface WriteResult {
  readonly affectedRows: number
  readonly insertId: number
}

/** What a statement of a script answers: a write's result, or a read's rows. */
export type Answer = WriteResult | readonly Record<string, unknown>[]

/**
 * Runs `statements` as one transaction sent in one round trip (`start transaction; …; commit`, a
 * multi-statement query), where `inTransaction` takes one round trip per statement plus two. For a
 * transaction whose statements do not depend on each other's answers in JavaScript: a later one may
 * use an earlier one's generated id through `last_insert_id()`, or a session variable an earlier one
 * set. The statements are writes; returns each one's answer. Inserts stay `insert … values` without
 * subqueries: an `insert … select` takes InnoDB's table-wide AUTO-INC lock, and under races MariaDB
 * fails it ("Failed to read auto-increment value") where a deadlock would have been retried.
 *
 * MySQL stops at the first statement that fails and leaves the transaction open; it is rolled back
 * before the connection goes back to the pool, and the error (a duplicate key, say) is thrown as
 * `inTransaction` would throw it. A deadlock victim is run again, as there.
 */
export async function inOneRoundTrip<D extends Reach<unknown, unknown>>(
  db: D,
  statements: readonly Statement[],
  retries = 5,
): Promise<WriteResult[]> {
  return inScripts(
    db,
    retries,
    async (run) => (await run([START, ...statements, COMMIT])).slice(1, -1) as WriteResult[],
  )
}

/**
 * A transaction in two round trips whose second script JavaScript writes from the first's answers:
 * `first` goes with `start transaction`; `then` reads its answers and returns the statements that
 * follow, sent with the commit, and `settle`, which reads their answers and gives the outcome. For
 * a batch whose later writes depend on which earlier ones matched (booking's payment completions:
 * only the payments whose hold was still PENDING go on, and an update that matched nothing changed
 * nothing, so nothing needs undoing; point's uses: the rows of the uses the balance did not cover are
 * deleted). A failure, or `then` throwing, rolls everything back and is thrown; a deadlock victim
 * runs again from the start, as in `inTransaction`.
 */
export async function inTwoScripts<D extends Reach<unknown, unknown>, T>(
  db: D,
  first: readonly Statement[],
  then: (answers: readonly Answer[]) => { statements: readonly Statement[]; settle: (answers: readonly Answer[]) => T },
  retries = 5,
): Promise<T> {
  return inScripts(db, retries, async (run) => {
    const next = then((await run([START, ...first])).slice(1))
    return next.settle((await run([...next.statements, COMMIT])).slice(0, -1))
  })
}

const START = CompiledQuery.raw('start transaction')
const COMMIT = CompiledQuery.raw('commit')

/** Statements as one multi-statement query. */
const scriptOf = (statements: readonly Statement[]) =>
  CompiledQuery.raw(
    statements.map((s) => s.sql).join(';\n'),
    statements.flatMap((s) => s.parameters),
  )

/**
 * Runs `work` on one connection of the pool, each script it sends a multi-statement query answered
 * statement by statement. When anything fails, the transaction left open is rolled back before the
 * connection returns to the pool and the error is thrown; a deadlock victim runs again from the start.
 */
async function inScripts<T>(
  db: Reach<unknown, unknown>,
  retries: number,
  work: (run: (statements: readonly Statement[]) => Promise<Answer[]>) => Promise<T>,
): Promise<T> {
  const pool = db as unknown as Kysely<unknown>
  return retryDeadlockVictim(
    () =>
      pool.connection().execute(async (connection) => {
        try {
          return await work(async (statements) => (await connection.executeQuery<Answer>(scriptOf(statements))).rows)
        } catch (err) {
          // A connection lost meanwhile is dropped by the pool; the statement's own error is the one to tell.
          await connection.executeQuery(ROLLBACK).catch(() => undefined)
          throw err
        }
      }),
    retries,
  )
}

const ROLLBACK = CompiledQuery.raw('rollback')

async function retryDeadlockVictim<T>(run: () => Promise<T>, retries: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run()
    } catch (err) {
      const errno = (err as { errno?: number }).errno
      if (attempt >= retries || errno !== ER_LOCK_DEADLOCK) throw err
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 5 * Math.random()))
    }
  }
}
