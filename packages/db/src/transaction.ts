import type { Kysely, Transaction } from 'kysely'
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
  for (let attempt = 0; ; attempt++) {
    try {
      return await pool.transaction().execute(run)
    } catch (err) {
      const errno = (err as { errno?: number }).errno
      if (attempt >= retries || errno !== ER_LOCK_DEADLOCK) throw err
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 5 * Math.random()))
    }
  }
}
