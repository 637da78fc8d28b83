import { type Static, Type } from '@sinclair/typebox'
import { mysqlConfigSchema, mysqlSecrets } from '@stagepass/db'
import { loadConfig, nodeEnvConfigSchema, redisConfigSchema, redisSecrets } from '@stagepass/kit'

export const launcherConfigSchema = Type.Object({ ...nodeEnvConfigSchema, ...mysqlConfigSchema, ...redisConfigSchema })
export type LauncherConfig = Static<typeof launcherConfigSchema>

/** The launcher and the one-shot database preparation read the stores' secrets: refused in production like the apps'. */
export const loadLauncherConfig = (env: NodeJS.ProcessEnv = process.env): LauncherConfig =>
  loadConfig(launcherConfigSchema, env, [...mysqlSecrets, ...redisSecrets])

/** The variables the launcher hands to every process it starts. */
export function sharedEnv(config: LauncherConfig): Record<string, string> {
  return {
    MYSQL_HOST: config.MYSQL_HOST,
    MYSQL_PORT: String(config.MYSQL_PORT),
    MYSQL_USER: config.MYSQL_USER,
    MYSQL_PASSWORD: config.MYSQL_PASSWORD,
    MYSQL_DATABASE: config.MYSQL_DATABASE,
    REDIS_URL: config.REDIS_URL,
    REDIS_PREFIX: config.REDIS_PREFIX,
    REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES,
  }
}
