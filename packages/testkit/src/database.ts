import {
  createDb,
  createServerConnection,
  type Database,
  type Db,
  ensureDatabase,
  type MysqlConfig,
  migrateToLatest,
} from '@stagepass/db'
import { loadLauncherConfig, testDatabaseName, testRunId } from '@stagepass/launcher'
import { type RawBuilder, sql } from 'kysely'

export interface TestDatabase {
  config: MysqlConfig
  db: Db
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A database of its own for one test file, migrated to latest and dropped when the test ends. */
export async function createTestDatabase(t: Teardown): Promise<TestDatabase> {
  const base = loadLauncherConfig()
  const config: MysqlConfig = { ...base, MYSQL_DATABASE: testDatabaseName(testRunId()), MYSQL_POOL_SIZE: 10 }
  await ensureDatabase(config)
  const db = createDb(config)
  await migrateToLatest(db)
  t.teardown(async () => {
    await db.destroy()
    const server = createServerConnection(config)
    await sql`drop database if exists ${sql.id(config.MYSQL_DATABASE)}`.execute(server)
    await server.destroy()
  })
  return { config, db }
}

/**
 * A counter of the connection's own session (`Com_select`, `Com_insert`, `Com_commit`): on a pool of
 * one connection, how many such statements that connection has sent.
 */
export async function sessionCount(db: Db, name: string): Promise<number> {
  const { rows } = await sql<{ Value: string }>`show session status like ${name}`.execute(db)
  return Number(rows[0]?.Value)
}

/** How many rows of `table` match `where` (every row by default). */
export async function countRows(db: Db, table: keyof Database, where: RawBuilder<unknown> = sql`1=1`): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db)
  return Number(rows[0]?.n ?? 0)
}
