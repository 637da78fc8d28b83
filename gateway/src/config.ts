import { isIP } from 'node:net'
import { type Static, Type } from '@sinclair/typebox'
import { bookingSettingsSchema } from '@stagepass/booking'
import { seatCacheConfigSchema } from '@stagepass/concert'
import { mysqlConfigSchema, mysqlSecrets } from '@stagepass/db'
import {
  ConfigError,
  gatewayAssertionKeysField,
  gatewayAssertionKeysSecret,
  httpConfigSchema,
  loadConfig,
  redisConfigSchema,
  redisSecrets,
  refuseDevelopmentSecretsInProduction,
  refuseUnpairedInstanceLists,
  type SecretSetting,
  userAuthConfigSchema,
  userTokenSecret,
  userTokenSecretInUse,
} from '@stagepass/kit'
import { pointSettingsFields } from '@stagepass/point'
import { queueConfigFields, queueSecrets, queueTokenKeysSecret } from '@stagepass/queue'
import { LIMIT_RULES_PATTERN } from './rate-limit/limit-rules.js'
import { SERVICE_NAMES } from './route-table.js'
import { refuseUnsafeUserAuthInProduction } from './user-auth/production.js'

const UrlList = (port: number, description: string) =>
  Type.String({
    default: `http://127.0.0.1:${port}`,
    pattern: '^https?://[^,\\s]+(,https?://[^,\\s]+)*$',
    description,
  })
const UpstreamList = (service: string, port: number) =>
  UrlList(port, `Comma-separated base URLs of the ${service} instances (split mode)`)
const OperationsList = (service: string, port: number) =>
  UrlList(port, `Comma-separated operations URLs of the ${service} instances: their readiness (split mode)`)

const GroupLimits = (routes: string, fallback: string) =>
  Type.String({
    default: fallback,
    pattern: LIMIT_RULES_PATTERN,
    description: `Limits of ${routes}: ip:<max>/<window>[,user:<max>/<window>], user:…, or off (window in s or m)`,
  })

const PROXY = '[0-9A-Fa-f.:]+(/[0-9]{1,3})?'

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
  // Split mode signs every request it passes on to a context (docs/security.md).
  ...gatewayAssertionKeysField,
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
  OPS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9080,
    description: 'Operations port: /metrics, /health/ready, /health/live (never on the public port)',
  }),
  MODE: Type.Union([Type.Literal('split'), Type.Literal('monolith')], {
    default: 'split',
    description: 'split: proxy to service processes; monolith: every context in this process',
  }),
  POINT_URLS: UpstreamList('point', 3100),
  CONCERT_URLS: UpstreamList('concert', 3300),
  QUEUE_URLS: UpstreamList('queue', 3200),
  BOOKING_URLS: UpstreamList('booking', 3400),
  POINT_OPS_URLS: OperationsList('point', 4100),
  CONCERT_OPS_URLS: OperationsList('concert', 4300),
  QUEUE_OPS_URLS: OperationsList('queue', 4200),
  BOOKING_OPS_URLS: OperationsList('booking', 4400),
  PROXY_CONNECTIONS: Type.Integer({
    minimum: 1,
    maximum: 4096,
    default: 1024,
    description: 'Keep-alive connections per upstream instance',
  }),
  PROXY_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10000, description: 'Upstream response timeout' }),
  // Abuse limits (docs/abuse-limits.md).
  RATE_LIMITS: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], {
    default: 'auto',
    description: 'Per-address and per-user request limits; auto = on exactly when USER_AUTH=jwt',
  }),
  RATE_LIMIT_JOIN: GroupLimits('POST /queue/tokens, GET /queue/challenge', 'ip:100/10s,user:6/10s'),
  RATE_LIMIT_STATUS: GroupLimits('GET /queue/tokens/status[/:userId]', 'ip:600/10s,user:30/10s'),
  RATE_LIMIT_CATALOG: GroupLimits('/concerts (the catalog)', 'ip:300/10s,user:30/10s'),
  RATE_LIMIT_BOOKING: GroupLimits('/concerts/reserve-seat, /payment, /reservations', 'ip:200/10s,user:20/10s'),
  RATE_LIMIT_POINTS: GroupLimits('/points', 'ip:200/10s,user:20/10s'),
  CORS_ORIGINS: Type.String({
    default: 'auto',
    pattern: '^(auto|https?://[^,\\s/]+(,https?://[^,\\s/]+)*)?$',
    description:
      'Comma-separated origins whose browsers may call the API (CORS); empty = none; auto = the web app in development',
  }),
  TRUSTED_PROXIES: Type.String({
    default: '',
    pattern: `^(${PROXY}(,${PROXY})*)?$`,
    description: 'Comma-separated IPs/CIDRs of proxies whose X-Forwarded-For names the client (default none)',
  }),
})

export type GatewayConfig = Static<typeof gatewayConfigSchema>
/** The gateway's settings; a production environment also refuses unsafe user-token settings and development secrets. */
export function loadGatewayConfig(env?: NodeJS.ProcessEnv): GatewayConfig {
  const config = loadConfig(gatewayConfigSchema, env)
  refuseUnsafeUserAuthInProduction(config)
  refuseDevelopmentSecretsInProduction(config, gatewaySecrets(config))
  trustedProxies(config)
  if (config.MODE === 'split') {
    for (const service of SERVICE_NAMES) {
      const name = service.toUpperCase()
      refuseUnpairedInstanceLists(config, `${name}_URLS`, `${name}_OPS_URLS`)
    }
  }
  return config
}

/**
 * The secrets the gateway uses: the guard's token keys, the user-token secret when it verifies user
 * tokens, the keys it signs what it passes on with in split mode, and in monolith mode every context's
 * (the split gateway reads no MySQL and serves no admin route; the monolith signs nothing).
 */
export function gatewaySecrets(
  config: Pick<GatewayConfig, 'MODE' | 'USER_AUTH' | 'USER_TOKEN_JWKS_URL' | 'USER_TOKEN_PUBLIC_KEY'>,
): SecretSetting[] {
  const userTokens = userTokenSecretInUse(config) ? [userTokenSecret] : []
  if (config.MODE === 'monolith') return [...mysqlSecrets, ...redisSecrets, ...queueSecrets, ...userTokens]
  return [...redisSecrets, queueTokenKeysSecret, gatewayAssertionKeysSecret, ...userTokens]
}

/** TRUSTED_PROXIES as a list; an entry that is not an IP address or CIDR block stops the start. */
export function trustedProxies(config: Pick<GatewayConfig, 'TRUSTED_PROXIES'>): string[] {
  const entries = config.TRUSTED_PROXIES === '' ? [] : config.TRUSTED_PROXIES.split(',')
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/')
    const family = isIP(address)
    const maxBits = family === 6 ? 128 : 32
    if (family === 0 || (bits !== undefined && Number(bits) > maxBits)) {
      throw new ConfigError(`invalid configuration: TRUSTED_PROXIES has "${entry}", not an IP address or CIDR block`)
    }
  }
  return entries
}

/** Whether the abuse limits are on: `auto` follows the user tokens (see docs/abuse-limits.md). */
export function rateLimitsEnabled(config: Pick<GatewayConfig, 'RATE_LIMITS' | 'USER_AUTH'>): boolean {
  return config.RATE_LIMITS === 'on' || (config.RATE_LIMITS === 'auto' && config.USER_AUTH === 'jwt')
}

/** `<CONTEXT>_URLS`: where each context's public routes are proxied to. */
export function upstreamUrls(config: GatewayConfig) {
  return urlLists(config, '_URLS')
}

/** `<CONTEXT>_OPS_URLS`: where the readiness of each context's instances is asked. */
export function upstreamOperationsUrls(config: GatewayConfig) {
  return urlLists(config, '_OPS_URLS')
}

function urlLists(config: GatewayConfig, suffix: string): Record<(typeof SERVICE_NAMES)[number], string[]> {
  return Object.fromEntries(
    SERVICE_NAMES.map((service) => {
      const key = `${service.toUpperCase()}${suffix}` as keyof GatewayConfig
      return [service, String(config[key]).split(',')]
    }),
  ) as Record<(typeof SERVICE_NAMES)[number], string[]>
}
