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
  MYSQL_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description: 'Connections per process, all opened at start',
  }),
  MYSQL_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 1000,
    description: 'Give up connecting after this long, so requests fail fast with 503',
  }),
  MYSQL_QUEUE_LIMIT: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 500,
    description:
      'Most requests waiting for a pool connection; beyond it a request is refused at once with 503 DATABASE_BUSY',
  }),
  MYSQL_QUEUE_TIMEOUT_MS: Type.Integer({
    minimum: 10,
    maximum: 60_000,
    default: 10_000,
    description:
      'Longest wait for a pool connection before a request is refused with 503 DATABASE_BUSY; past the gateway timeout (PROXY_TIMEOUT_MS) nobody waits for the answer',
  }),
  MYSQL_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 5000,
    description:
      'Longest a statement may run, lock waits included (MariaDB max_statement_time, MySQL max_execution_time and innodb_lock_wait_timeout); then 503 DATABASE_BUSY',
  }),
}

const MysqlConfig = Type.Object(mysqlConfigSchema)
export type MysqlConfig = Static<typeof MysqlConfig>

/** The MySQL password is a secret: empty (the development default) or a placeholder is refused in production. */
export const mysqlSecrets: readonly SecretSetting[] = [{ variable: 'MYSQL_PASSWORD', developmentValues: [''] }]
