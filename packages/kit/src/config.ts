import { type Static, type TObject, Type } from '@sinclair/typebox'
import envSchema from 'env-schema'
import { ConfigError } from './config-error.js'
import { refuseDevelopmentSecretsInProduction, type SecretSetting, urlPassword } from './development-secrets.js'

export { ConfigError }

/**
 * Reads and validates configuration from environment variables. A bad value stops the process at
 * start-up with a message naming the variable, instead of failing later under load. Where the
 * schema reads NODE_ENV and it is `production`, the `secrets` the process declares must be real ones.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  secrets: readonly SecretSetting[] = [],
): Static<S> {
  let config: Static<S>
  try {
    config = envSchema<Static<S>>({ schema, data: env, dotenv: false })
  } catch (err) {
    const message = (err as Error).message.replaceAll('env/', '').replaceAll('env ', '')
    throw new ConfigError(`invalid configuration: ${message}`)
  }
  const settings = config as Record<string, unknown>
  const nodeEnv = String(settings.NODE_ENV ?? env.NODE_ENV ?? process.env.NODE_ENV ?? '')
  refuseDevelopmentSecretsInProduction({ ...settings, NODE_ENV: nodeEnv }, secrets)
  return config
}

/** Whether the process runs in production: every process that reads a secret reads this too. */
export const nodeEnvConfigSchema = {
  NODE_ENV: Type.String({
    default: 'development',
    description: 'production refuses development secrets, placeholders and unsafe switches at start-up',
  }),
}

/** Variables every HTTP process understands. */
export const httpConfigSchema = {
  ...nodeEnvConfigSchema,
  HOST: Type.String({ default: '127.0.0.1', description: 'Address to listen on' }),
  OPS_HOST: Type.String({
    default: '127.0.0.1',
    description: 'Address of the operations port (/metrics, /health/ready): reachable by probes and Prometheus only',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  LOG_PRETTY: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
    description: 'Human-readable logs; auto means only when stdout is a terminal',
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10000, description: 'Drain time before a forced exit' }),
  SHUTDOWN_DRAIN_MS: Type.Integer({
    minimum: 0,
    maximum: 60000,
    default: 0,
    description:
      'On SIGTERM, how long the process keeps serving while reporting not ready, before it stops accepting: balancers that watch readiness take it out of rotation first',
  }),
}

export const redisConfigSchema = {
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', description: 'Redis connection URL' }),
  REDIS_PREFIX: Type.String({
    default: 'sp:',
    pattern: '^[A-Za-z0-9:_\\-]{1,40}$',
    description: 'Prefix of every Redis key and BullMQ queue this deployment owns',
  }),
  REDIS_CLUSTER_NODES: Type.String({
    default: '',
    pattern: '^$|^[A-Za-z0-9.\\-]+:[0-9]{1,5}(,[A-Za-z0-9.\\-]+:[0-9]{1,5})*$',
    description:
      'Redis Cluster startup nodes (host:port,host:port…); empty means the single Redis at REDIS_URL. Its password, if any, applies to every node',
  }),
}

/** A password in REDIS_URL is a secret: a placeholder is refused in production (none at all is allowed). */
export const redisSecrets: readonly SecretSetting[] = [
  { variable: 'REDIS_URL', developmentValues: [], secretsOf: urlPassword },
]

export type HttpConfig = Static<ReturnType<typeof Type.Object<typeof httpConfigSchema>>>
export type RedisConfig = Static<ReturnType<typeof Type.Object<typeof redisConfigSchema>>>

/**
 * `<X>_OPS_URLS` names each instance of `<X>_URLS`, in the same order: the readiness of each is what
 * keeps a stopping or unready instance out of rotation (rotation.ts). Lists of different lengths
 * cannot be paired, and would turn that off without a word, so they stop the start instead.
 */
export function refuseUnpairedInstanceLists(config: Record<string, unknown>, urlsKey: string, opsKey: string): void {
  const count = (key: string) => String(config[key] ?? '').split(',').length
  const instances = count(urlsKey)
  const operations = count(opsKey)
  if (instances !== operations) {
    throw new ConfigError(
      `invalid configuration: ${urlsKey} lists ${instances} instance(s) but ${opsKey} ${operations}; give each instance's operations URL, in the same order`,
    )
  }
}
