import { type Static, Type } from '@sinclair/typebox'
import { bookingSettingsSchema } from '@stagepass/booking'
import { seatCacheConfigSchema } from '@stagepass/concert'
import { mysqlConfigSchema } from '@stagepass/db'
import { httpConfigSchema, loadConfig, redisConfigSchema, userAuthConfigSchema } from '@stagepass/kit'
import { pointSettingsFields } from '@stagepass/point'
import { queueConfigFields } from '@stagepass/queue'
import { SERVICE_NAMES } from './route-table.js'
import { refuseUnsafeUserAuthInProduction } from './user-auth/production.js'

const UpstreamList = (service: string, port: number) =>
  Type.String({
    default: `http://127.0.0.1:${port}`,
    pattern: '^https?://[^,\\s]+(,https?://[^,\\s]+)*$',
    description: `Comma-separated base URLs of the ${service} instances (split mode)`,
  })

export const gatewayConfigSchema = Type.Object({
  ...httpConfigSchema,
  ...mysqlConfigSchema,
  ...redisConfigSchema,
  // Monolith mode runs the concert context in this process, with the same cache settings.
  ...seatCacheConfigSchema,
  // Monolith mode runs the point context in this process.
  ...pointSettingsFields,
  // Monolith mode runs the booking context (holds, payments, its workers) in this process.
  ...bookingSettingsSchema,
  // The guard verifies queue tokens with the same keys; the monolith runs the queue context too.
  ...queueConfigFields,
  // User tokens on the unguarded routes (see docs/security.md).
  ...userAuthConfigSchema,
  QUEUE_GUARD_CACHE_MS: Type.Integer({
    minimum: 0,
    maximum: 1000,
    default: 1000,
    description: 'How long the guard may reuse a token check (a revocation shows within this time)',
  }),
  QUEUE_ADMIN_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 0,
    description: 'Monolith mode: port for /admin/queue (0 = none); never served on the public port',
  }),
  HOST: Type.String({ default: 'localhost', description: 'Address to listen on (localhost = IPv4 and IPv6 loopback)' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Public port' }),
  MODE: Type.Union([Type.Literal('split'), Type.Literal('monolith')], {
    default: 'split',
    description: 'split: proxy to service processes; monolith: every context in this process',
  }),
  POINT_URLS: UpstreamList('point', 3100),
  CONCERT_URLS: UpstreamList('concert', 3300),
  QUEUE_URLS: UpstreamList('queue', 3200),
  BOOKING_URLS: UpstreamList('booking', 3400),
  PROXY_CONNECTIONS: Type.Integer({
    minimum: 1,
    maximum: 4096,
    default: 128,
    description: 'Keep-alive connections per upstream instance',
  }),
  PROXY_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10000, description: 'Upstream response timeout' }),
})

export type GatewayConfig = Static<typeof gatewayConfigSchema>
/** The gateway's settings; a production environment also refuses unsafe user-token settings. */
export function loadGatewayConfig(env?: NodeJS.ProcessEnv): GatewayConfig {
  const config = loadConfig(gatewayConfigSchema, env)
  refuseUnsafeUserAuthInProduction(config)
  return config
}

export function upstreamUrls(config: GatewayConfig): Record<(typeof SERVICE_NAMES)[number], string[]> {
  return Object.fromEntries(
    SERVICE_NAMES.map((service) => {
      const key = `${service.toUpperCase()}_URLS` as keyof GatewayConfig
      return [service, String(config[key]).split(',')]
    }),
  ) as Record<(typeof SERVICE_NAMES)[number], string[]>
}
