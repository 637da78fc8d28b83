import type { Db } from '@stagepass/db'
import { sql } from 'kysely'

/**
 * Holds a wallet's row lock in a transaction of the test's own, as a flood of other writers to it
 * would; resolves once the lock is held, with the function that releases it.
 */
export async function lockWallet(db: Db, userId: number): Promise<() => Promise<void>> {
  let release = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let locked = () => {}
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve
  })
  const done = db.transaction().execute(async (trx) => {
    await sql`select balance from point_wallet where user_id = ${userId} for update`.execute(trx)
    locked()
    await released
  })
  await isLocked
  return async () => {
    release()
    await done
  }
}
