import { type Static, Type } from '@sinclair/typebox'
import {
  gatewayAssertionKeysField,
  gatewayAssertionKeysSecret,
  httpConfigSchema,
  keyListSecrets,
  loadConfig,
  QUEUE_TOKEN_KEYS_PATTERN,
  redisConfigSchema,
  redisSecrets,
  type SecretSetting,
} from '@stagepass/kit'

/**
 * Development defaults: a deployment sets its own secrets (refused where NODE_ENV=production, warned
 * about elsewhere). The local Kubernetes overlay's keys are published too.
 */
const DEVELOPMENT_TOKEN_KEYS = 'dev:stagepass-development-token-key'
const DEVELOPMENT_ADMIN_KEY = 'stagepass-development-admin-key'
const LOCAL_OVERLAY_TOKEN_KEYS = 'local:stagepass-local-development-key'
const LOCAL_OVERLAY_ADMIN_KEY = 'stagepass-local-admin-key'

/** Every listed key verifies tokens, so a published one anywhere in the list is refused. */
export const queueTokenKeysSecret: SecretSetting = {
  variable: 'QUEUE_TOKEN_KEYS',
  developmentValues: keyListSecrets(`${DEVELOPMENT_TOKEN_KEYS},${LOCAL_OVERLAY_TOKEN_KEYS}`),
  secretsOf: keyListSecrets,
}
const queueAdminKeySecret: SecretSetting = {
  variable: 'QUEUE_ADMIN_KEY',
  developmentValues: [DEVELOPMENT_ADMIN_KEY, LOCAL_OVERLAY_ADMIN_KEY],
}
/** The queue context's own secrets, wherever it runs. */
export const queueSecrets: readonly SecretSetting[] = [queueTokenKeysSecret, queueAdminKeySecret]

/**
 * The waiting room's settings. The monolith reads them from the same environment as every other
 * context, hence the `QUEUE_` prefix. Admission settings are only the defaults: `PATCH /admin/queue`
 * stores overrides in Redis, where every instance reads them on each tick.
 */
export const queueConfigFields = {
  QUEUE_TOKEN_KEYS: Type.String({
    pattern: QUEUE_TOKEN_KEYS_PATTERN,
    default: DEVELOPMENT_TOKEN_KEYS,
    description: 'Token signing keys "kid:secret,…" (secrets ≥16 chars): the first signs, all listed verify',
  }),
  QUEUE_ADMIN_KEY: Type.String({
    minLength: 16,
    default: DEVELOPMENT_ADMIN_KEY,
    description: 'Value of the x-admin-key header the admin routes require',
  }),
  QUEUE_ADMIT_PER_SECOND: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 100,
    description: 'Users admitted per second (default until changed through the admin route)',
  }),
  QUEUE_MAX_ACTIVE: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: 1000,
    description: 'Most ACTIVE users at once (default until changed through the admin route)',
  }),
  QUEUE_ACTIVE_TTL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 600,
    description: 'How long an ACTIVE token lasts',
  }),
  QUEUE_ABANDON_AFTER_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 120,
    description: 'A WAITING user who has not polled for this long loses the place',
  }),
  QUEUE_LINE_CAPACITY: Type.Integer({
    minimum: 1,
    maximum: 100_000_000,
    default: 1_000_000,
    description:
      'Most users in line, pre-queue included (≈200 bytes of Redis each); a full line answers new joins ' +
      '503 QUEUE_FULL (default until changed through the admin route)',
  }),
  QUEUE_POW_CHALLENGE_TTL_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 120,
    description: 'How long a proof-of-work challenge may be used to join after it is issued',
  }),
  QUEUE_TICK_MS: Type.Integer({ minimum: 10, maximum: 5000, default: 100, description: 'Admission tick period' }),
}

export const queueConfigSchema = Type.Object({
  ...httpConfigSchema,
  ...redisConfigSchema,
  ...queueConfigFields,
  // Its public routes answer the gateway only; /admin/queue keeps its admin key (docs/security.md).
  ...gatewayAssertionKeysField,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3200, description: 'Queue service port' }),
  OPS_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 4200,
    description: 'Queue service operations port: /metrics, /health/ready, /health/live',
  }),
})

const queueSettingsSchema = Type.Object({ ...redisConfigSchema, ...queueConfigFields })
/** What the queue plugin needs, whichever process hosts it. */
export type QueueConfig = Static<typeof queueSettingsSchema>

/** What the queue process refuses in production and warns about elsewhere. */
export const queueServiceSecrets: readonly SecretSetting[] = [
  ...redisSecrets,
  ...queueSecrets,
  gatewayAssertionKeysSecret,
]

export const loadQueueConfig = (env?: NodeJS.ProcessEnv) => loadConfig(queueConfigSchema, env, queueServiceSecrets)
