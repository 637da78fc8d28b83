import { randomBytes } from 'node:crypto'
import type { MysqlConfig } from '@stagepass/db'
import { createServerConnection } from '@stagepass/db'
import { connectRedis, type RedisClient, type RedisConfig, redisTargetOf } from '@stagepass/kit'
import type { Redis } from 'ioredis'
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

/** Where SCAN must run: every master of a cluster (each holds its own slots' keys), or the one server. */
const serversOf = (redis: RedisClient): Redis[] => ('nodes' in redis ? redis.nodes('master') : [redis])

/** Removes every key matching `pattern`, on a single Redis or across every master of a cluster. */
export async function removeKeys(
  config: Pick<RedisConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>,
  pattern: string,
): Promise<void> {
  const redis = connectRedis(redisTargetOf(config), { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    for (const server of serversOf(redis)) {
      let cursor = '0'
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        cursor = next
        // One key per call: on a cluster, keys of different slots cannot go in one UNLINK.
        await Promise.all(keys.map((key) => server.unlink(key)))
      } while (cursor !== '0')
    }
  } finally {
    redis.disconnect()
  }
}

export const removeTestKeys = (config: Pick<RedisConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>, runId: string) =>
  removeKeys(config, `sp-test-${runId}-*`)
