import { CompiledQuery, type DatabaseConnection, Kysely, Migrator, MysqlDialect, sql } from 'kysely'
import { createPool } from 'mysql2'
import { boundedPool } from './bounded-pool.js'
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

/**
 * Every statement of a pooled connection gets a time limit, lock waits included, so a pile-up on
 * one row ends in `DATABASE_BUSY` instead of holding the connection for InnoDB's default 50 s.
 * MariaDB limits any statement (`max_statement_time`, seconds); MySQL only reads
 * (`max_execution_time`, ms), so its writes are bounded by the lock wait timeout alone.
 */
async function limitStatementTime(connection: DatabaseConnection, timeoutMs: number): Promise<void> {
  const { rows } = await connection.executeQuery<{ version: string }>(CompiledQuery.raw('select version() as version'))
  const mariadb = /mariadb/i.test(rows[0]?.version ?? '')
  const limit = mariadb ? `max_statement_time = ${timeoutMs / 1000}` : `max_execution_time = ${timeoutMs}`
  const lockWaitSeconds = Math.max(1, Math.floor(timeoutMs / 1000))
  await connection.executeQuery(
    CompiledQuery.raw(`set session ${limit}, innodb_lock_wait_timeout = ${lockWaitSeconds}`),
  )
}

/**
 * The pool every context queries through: a bounded waiting line (length and time) and a time
 * limit on every statement, all refused as 503 `DATABASE_BUSY` (see docs/architecture.md).
 */
export function createDb(config: MysqlConfig): Db {
  const pool = createPool({
    ...poolOptions(config),
    database: config.MYSQL_DATABASE,
    connectionLimit: config.MYSQL_POOL_SIZE,
    maxIdle: config.MYSQL_POOL_SIZE,
    queueLimit: config.MYSQL_QUEUE_LIMIT,
    enableKeepAlive: true,
    // For `inOneRoundTrip`. Every statement is compiled by Kysely with its values as parameters, so
    // no client text can end one statement and begin another.
    multipleStatements: true,
  })
  return new Kysely<Database>({
    dialect: new MysqlDialect({
      pool: boundedPool(pool, { queueTimeoutMs: config.MYSQL_QUEUE_TIMEOUT_MS }),
      onCreateConnection: (connection) => limitStatementTime(connection, config.MYSQL_STATEMENT_TIMEOUT_MS),
    }),
  })
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

/**
 * Opens every connection of the pool now, before traffic comes. A sale opens with a burst: a pool that
 * grows on demand then makes its connections while the process is busiest, and a handshake whose answer
 * waits behind a thousand requests in the event loop outlasts the connect timeout (503 at the worst
 * moment). As many queries at once as the pool has connections: none is free yet, so each opens one.
 */
export async function warmPool(db: Kysely<any>, size: number): Promise<void> {
  await Promise.all(Array.from({ length: size }, () => pingDb(db)))
}

export async function pingDb(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db)
}
