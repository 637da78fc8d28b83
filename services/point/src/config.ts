import { type Static, Type } from '@sinclair/typebox'
import { mysqlConfigSchema } from '@stagepass/db'
import { bookingAssertionKeysField, gatewayAssertionKeysField, httpConfigSchema, loadConfig } from '@stagepass/kit'

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
})

export const loadPointConfig = (env?: NodeJS.ProcessEnv) => loadConfig(pointConfigSchema, env)
export type PointConfig = ReturnType<typeof loadPointConfig>

const pointSettingsSchema = Type.Object(pointSettingsFields)
export type PointSettings = Static<typeof pointSettingsSchema>
