import { createDb, ensureDatabase, migrateToLatest, seedDemoDataIfEmpty } from '@stagepass/db'
import type { LauncherConfig } from './environment.js'

/** Creates the database when missing, migrates it, and loads demo data into an empty one. */
export async function prepareDatabase(config: LauncherConfig, log: (line: string) => void): Promise<void> {
  await ensureDatabase(config)
  const db = createDb({ ...config, MYSQL_POOL_SIZE: 2 })
  try {
    const applied = await migrateToLatest(db)
    log(
      applied.length
        ? `migrated ${config.MYSQL_DATABASE}: ${applied.join(', ')}`
        : `${config.MYSQL_DATABASE} is up to date`,
    )
    await seedDemoDataIfEmpty(db, log)
  } finally {
    await db.destroy()
  }
}
