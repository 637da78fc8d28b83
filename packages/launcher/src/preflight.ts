import { clusterNodesOf, connectRedis, redisTargetOf } from '@stagepass/kit'
import { createConnection } from 'mysql2'
import type { LauncherConfig } from './environment.js'

export class PreflightError extends Error {
  override name = 'PreflightError'
}

const reason = (err: unknown) => (err as { code?: string }).code ?? (err as Error).message

function checkMysql(config: LauncherConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({
      host: config.MYSQL_HOST,
      port: config.MYSQL_PORT,
      user: config.MYSQL_USER,
      password: config.MYSQL_PASSWORD,
      connectTimeout: 3000,
    })
    conn.query('select 1', (err) => {
      conn.destroy()
      if (!err) return resolve()
      const where = `${config.MYSQL_HOST}:${config.MYSQL_PORT}`
      reject(
        new PreflightError(
          `MySQL is not reachable at ${where} (${reason(err)}). Start it (docker compose -f deploy/docker-compose.yml up -d mysql, or your local MariaDB/MySQL service) or set MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD.`,
        ),
      )
    })
  })
}

async function checkRedis(config: LauncherConfig): Promise<void> {
  const target = redisTargetOf(config)
  const redis = connectRedis(target, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    const url = new URL(config.REDIS_URL)
    const cluster = clusterNodesOf(target)
    if (cluster.length) {
      const nodes = cluster.map(({ host, port }) => `${host}:${port}`).join(', ')
      throw new PreflightError(
        `Redis Cluster is not reachable at ${nodes} (${reason(err)}). Start it (every node, its slots all served) or set REDIS_CLUSTER_NODES.`,
      )
    }
    throw new PreflightError(
      `Redis is not reachable at ${url.hostname}:${url.port || 6379} (${reason(err)}). Start it (docker compose -f deploy/docker-compose.yml up -d redis, or redis-server) or set REDIS_URL.`,
    )
  } finally {
    redis.disconnect()
  }
}

/** Both stores must answer before anything starts; otherwise one clear line says which and how to fix it. */
export async function preflight(config: LauncherConfig): Promise<void> {
  await checkMysql(config)
  await checkRedis(config)
}
