import type { Transaction } from 'kysely'
import type { Database } from './database.js'
import type { Db } from './mysql.js'

const ER_LOCK_DEADLOCK = 1213

/**
 * Runs `work` in a transaction, retrying when InnoDB picks it as a deadlock victim (as it may for
 * concurrent upserts of one new key). `work` must be safe to run again: it sees a fresh transaction.
 * A lock wait timeout is not retried: it means the row is contended past the statement time limit,
 * and waiting again would only hold a pool connection longer; it is answered 503 `DATABASE_BUSY`.
 */
export async function inTransaction<T>(
  db: Db,
  work: (trx: Transaction<Database>) => Promise<T>,
  retries = 5,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(work)
    } catch (err) {
      const errno = (err as { errno?: number }).errno
      if (attempt >= retries || errno !== ER_LOCK_DEADLOCK) throw err
      await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 5 * Math.random()))
    }
  }
}
