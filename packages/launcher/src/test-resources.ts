import { randomBytes } from 'node:crypto'
import type { MysqlConfig } from '@stagepass/db'
import { createServerConnection } from '@stagepass/db'
import { Redis } from 'ioredis'
import { sql } from 'kysely'

/**
 * Names of what tests create. Each `npm test` run has an id; every database and Redis prefix of
 * the run carries it, so two runs never see each other's data and cleanup touches only its own.
 */
export const testRunId = () => process.env.STAGEPASS_TEST_RUN ?? `solo${randomBytes(3).toString('hex')}`

export const testDatabaseName = (runId: string) => `sp_test_${runId}_${randomBytes(4).toString('hex')}`
export const testRedisPrefix = (runId: string) => `sp-test-${runId}-${randomBytes(4).toString('hex')}:`

export async function dropTestDatabases(config: MysqlConfig, runId: string): Promise<void> {
  const server = createServerConnection(config)
  try {
    const { rows } = await sql<{
      name: string
    }>`select schema_name as name from information_schema.schemata where schema_name like ${`sp\\_test\\_${runId}\\_%`}`.execute(
      server,
    )
    for (const { name } of rows) await sql`drop database if exists ${sql.id(name)}`.execute(server)
  } finally {
    await server.destroy()
  }
}

export async function removeKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      if (keys.length) await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

export const removeTestKeys = (redisUrl: string, runId: string) => removeKeys(redisUrl, `sp-test-${runId}-*`)
