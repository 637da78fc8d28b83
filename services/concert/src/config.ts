import { Type } from '@sinclair/typebox'
import { mysqlConfigSchema, mysqlSecrets } from '@stagepass/db'
import {
  gatewayAssertionKeysField,
  gatewayAssertionKeysSecret,
  httpConfigSchema,
  loadConfig,
  redisConfigSchema,
  redisSecrets,
  type SecretSetting,
} from '@stagepass/kit'

/** The availability cache; the gateway takes the same variables for the monolith. */
export const seatCacheConfigSchema = {
  SEAT_CACHE_ENABLED: Type.Boolean({
    default: true,
    description: 'Serve seat lists, date availability and catalog pages from Redis (false: every read goes to MySQL)',
  }),
  SEAT_CACHE_TTL_MS: Type.Integer({
    minimum: 1,
    maximum: 60_000,
    default: 1000,
    description:
      'Longest life of a cached availability view or catalog page, counted from its database read; events invalidate sooner. Keep it at most 1000 to bound staleness at 1 s even when events are late',
  }),
}

export const concertConfigSchema = Type.Object({
  ...httpConfigSchema,
  ...mysqlConfigSchema,
  ...redisConfigSchema,
  ...seatCacheConfigSchema,
  // Its routes answer the gateway only (docs/security.md).
  ...gatewayAssertionKeysField,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3300, description: 'Concert service port' }),
  OPS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 4300,
    description: 'Concert service operations port: /metrics, /health/ready, /health/live',
  }),
})

/** What the concert process refuses in production and warns about elsewhere. */
export const concertServiceSecrets: readonly SecretSetting[] = [
  ...mysqlSecrets,
  ...redisSecrets,
  gatewayAssertionKeysSecret,
]

export const loadConcertConfig = (env?: NodeJS.ProcessEnv) =>
  loadConfig(concertConfigSchema, env, concertServiceSecrets)
export type ConcertConfig = ReturnType<typeof loadConcertConfig>
