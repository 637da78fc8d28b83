import { Kysely, Migrator, MysqlDialect, sql } from 'kysely'
import { createPool } from 'mysql2'
import type { MysqlConfig } from './config.js'
import type { Database } from './database.js'
import { migrationProvider } from './migrations/index.js'

export type Db = Kysely<Database>

function poolOptions(config: MysqlConfig) {
  return {
    host: config.MYSQL_HOST,
    port: config.MYSQL_PORT,
    user: config.MYSQL_USER,
    password: config.MYSQL_PASSWORD,
    connectTimeout: config.MYSQL_CONNECT_TIMEOUT_MS,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
  } as const
}

export function createDb(config: MysqlConfig): Db {
  const pool = createPool({
    ...poolOptions(config),
    database: config.MYSQL_DATABASE,
    connectionLimit: config.MYSQL_POOL_SIZE,
    maxIdle: config.MYSQL_POOL_SIZE,
    enableKeepAlive: true,
  })
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) })
}

/** Connects without a database, so the database itself can be created or dropped. */
export function createServerConnection(config: MysqlConfig): Kysely<unknown> {
  return new Kysely<unknown>({
    dialect: new MysqlDialect({ pool: createPool({ ...poolOptions(config), connectionLimit: 1 }) }),
  })
}

export async function ensureDatabase(config: MysqlConfig): Promise<void> {
  const server = createServerConnection(config)
  try {
    await sql`create database if not exists ${sql.id(config.MYSQL_DATABASE)} character set utf8mb4 collate utf8mb4_unicode_ci`.execute(
      server,
    )
  } finally {
    await server.destroy()
  }
}

/** Brings the schema to the latest migration. Migrator holds a lock, so concurrent callers are safe. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

export async function pingDb(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db)
}
