import { type Static, Type } from '@sinclair/typebox'
import { mysqlConfigSchema, mysqlSecrets } from '@stagepass/db'
import {
  bookingAssertionKeysField,
  bookingAssertionKeysSecret,
  gatewayAssertionKeysField,
  gatewayAssertionKeysSecret,
  httpConfigSchema,
  loadConfig,
  type SecretSetting,
} from '@stagepass/kit'

/** The point context's settings; the monolith reads them from the same environment. */
export const pointSettingsFields = {
  POINT_DAILY_CHARGE_LIMIT: Type.Integer({
    minimum: 1,
    maximum: 9_007_199_254_740_991,
    default: 2_000_000,
    description: 'Most won a signed-in user may charge in 24 hours (user tokens on); over it: 409',
  }),
}

export const pointConfigSchema = Type.Object({
  ...httpConfigSchema,
  ...mysqlConfigSchema,
  ...pointSettingsFields,
  // Public routes answer the gateway only, internal ones booking only (docs/security.md).
  ...gatewayAssertionKeysField,
  ...bookingAssertionKeysField,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3100, description: 'Point service port' }),
  OPS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 4100,
    description: 'Point service operations port: /metrics, /health/ready, /health/live',
  }),
})

/** What the point process refuses in production and warns about elsewhere. */
export const pointServiceSecrets: readonly SecretSetting[] = [
  ...mysqlSecrets,
  gatewayAssertionKeysSecret,
  bookingAssertionKeysSecret,
]

export const loadPointConfig = (env?: NodeJS.ProcessEnv) => loadConfig(pointConfigSchema, env, pointServiceSecrets)
export type PointConfig = ReturnType<typeof loadPointConfig>

const pointSettingsSchema = Type.Object(pointSettingsFields)
export type PointSettings = Static<typeof pointSettingsSchema>
