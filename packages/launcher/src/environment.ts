import { Type } from '@sinclair/typebox'
import { type MysqlConfig, mysqlConfigSchema } from '@stagepass/db'
import { loadConfig, type RedisConfig, redisConfigSchema } from '@stagepass/kit'

export const launcherConfigSchema = Type.Object({ ...mysqlConfigSchema, ...redisConfigSchema })
export type LauncherConfig = MysqlConfig & RedisConfig

export const loadLauncherConfig = (env: NodeJS.ProcessEnv = process.env): LauncherConfig =>
  loadConfig(launcherConfigSchema, env)

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
  }
}
