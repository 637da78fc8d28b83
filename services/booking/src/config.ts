import { type Static, Type } from '@sinclair/typebox'
import { mysqlConfigSchema, mysqlSecrets } from '@stagepass/db'
import {
  bookingAssertionKeysField,
  bookingAssertionKeysSecret,
  gatewayAssertionKeysField,
  gatewayAssertionKeysSecret,
  httpConfigSchema,
  loadConfig,
  redisConfigSchema,
  redisSecrets,
  refuseUnpairedInstanceLists,
  type SecretSetting,
} from '@stagepass/kit'

/** How booking behaves, wherever it runs (its own process, or the monolith). */
export const bookingSettingsSchema = {
  HOLD_TTL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 300,
    description: 'How long a seat hold lasts',
  }),
  MAX_HOLDS_PER_USER_PER_OPTION: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 4,
    description: 'Live holds one user may have per performance',
  }),
  TAKEN_SEAT_MEMORY_MS: Type.Integer({
    minimum: 0,
    maximum: 1000,
    default: 1000,
    description: 'How long a seat seen taken is refused without a query (0 = ask the database every time)',
  }),
  HOLD_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 5000,
    description: 'How often lapsed holds are released when their expiry job did not run',
  }),
  OUTBOX_POLL_INTERVAL_MS: Type.Integer({
    minimum: 10,
    default: 200,
    description: 'How often the outbox relay looks for events committed by other instances',
  }),
  OUTBOX_RETENTION_HOURS: Type.Integer({
    minimum: 1,
    default: 24,
    description: 'How long published events are kept in the outbox',
  }),
  PAYMENT_RECONCILE_AFTER_SECONDS: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Age after which an unfinished payment is completed or refunded by the reconciler',
  }),
  PAYMENT_RECONCILE_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 10000,
    description: 'How often the reconciler looks for unfinished payments',
  }),
}

const BookingSettings = Type.Object(bookingSettingsSchema)
export type BookingSettings = Static<typeof BookingSettings>

export const bookingConfigSchema = Type.Object({
  ...httpConfigSchema,
  ...mysqlConfigSchema,
  ...redisConfigSchema,
  ...bookingSettingsSchema,
  // Its routes answer the gateway only; it signs its calls to point (docs/security.md).
  ...gatewayAssertionKeysField,
  ...bookingAssertionKeysField,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3400, description: 'Booking service port' }),
  OPS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 4400,
    description: 'Booking service operations port: /metrics, /health/ready, /health/live',
  }),
  POINT_URLS: Type.String({
    default: 'http://127.0.0.1:3100',
    pattern: '^https?://[^,\\s]+(,https?://[^,\\s]+)*$',
    description: 'Comma-separated base URLs of the point instances, for its internal routes',
  }),
  POINT_OPS_URLS: Type.String({
    default: 'http://127.0.0.1:4100',
    pattern: '^https?://[^,\\s]+(,https?://[^,\\s]+)*$',
    description:
      'Comma-separated operations URLs of the point instances, in the order of POINT_URLS: with several, an instance that reports not ready gets no calls',
  }),
  POINT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 8000,
    description:
      "Point service response timeout: longer than point's statement timeout (5 s), so booking hears its DATABASE_BUSY; shorter than the gateway's PROXY_TIMEOUT_MS (10 s)",
  }),
})

/** What the booking process refuses in production and warns about elsewhere. */
export const bookingServiceSecrets: readonly SecretSetting[] = [
  ...mysqlSecrets,
  ...redisSecrets,
  gatewayAssertionKeysSecret,
  bookingAssertionKeysSecret,
]

export function loadBookingConfig(env?: NodeJS.ProcessEnv) {
  const config = loadConfig(bookingConfigSchema, env, bookingServiceSecrets)
  refuseUnpairedInstanceLists(config, 'POINT_URLS', 'POINT_OPS_URLS')
  return config
}
export type BookingConfig = ReturnType<typeof loadBookingConfig>
