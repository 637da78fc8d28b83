import { type Static, Type } from '@sinclair/typebox'
import type { SecretSetting } from '@stagepass/kit'

export const mysqlConfigSchema = {
  MYSQL_HOST: Type.String({ default: '127.0.0.1', description: 'MySQL/MariaDB host' }),
  MYSQL_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3306, description: 'MySQL/MariaDB port' }),
  MYSQL_USER: Type.String({ default: 'root', description: 'MySQL user' }),
  MYSQL_PASSWORD: Type.String({ default: '', description: 'MySQL password' }),
  MYSQL_DATABASE: Type.String({
    default: 'stagepass',
    pattern: '^[A-Za-z0-9_]{1,64}$',
    description: 'Database name (created by the start command when missing)',
  }),
  MYSQL_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'Connections per process' }),
  MYSQL_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 1000,
    description: 'Give up connecting after this long, so requests fail fast with 503',
  }),
}

const MysqlConfig = Type.Object(mysqlConfigSchema)
export type MysqlConfig = Static<typeof MysqlConfig>

/** The MySQL password is a secret: empty (the development default) or a placeholder is refused in production. */
export const mysqlSecrets: readonly SecretSetting[] = [{ variable: 'MYSQL_PASSWORD', developmentValues: [''] }]
