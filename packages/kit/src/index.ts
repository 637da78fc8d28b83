export { type BatchAnswer, batchPerTurn, orEachAlone } from './batch-per-turn.js'
export { type Clock, systemClock } from './clock.js'
export {
  ConfigError,
  type HttpConfig,
  httpConfigSchema,
  loadConfig,
  nodeEnvConfigSchema,
  type RedisConfig,
  redisConfigSchema,
  redisSecrets,
  refuseUnpairedInstanceLists,
} from './config.js'
export {
  developmentSecretsIn,
  isPlaceholderSecret,
  keyListSecrets,
  refuseDevelopmentSecretsInProduction,
  type SecretSetting,
  urlPassword,
  warnAboutDevelopmentSecrets,
} from './development-secrets.js'
export { errorCode } from './error-code.js'
export { type ErrorBody, errorBody, handleError, handleNotFound } from './error-handler.js'
export {
  DATABASE_BUSY_RETRY_AFTER_SECONDS,
  DatabaseBusyError,
  type DatabaseBusyReason,
  databaseBusyReason,
  isDatabaseConnectionError,
  UpstreamDatabaseBusyError,
  UpstreamUnavailableError,
  ValidationError,
} from './errors.js'
export { healthPlugin, Readiness, type ReadinessCheck, type ReadinessOptions, type ReadinessReport } from './health.js'
export {
  type Counter,
  counter,
  type Gauge,
  gauge,
  type Histogram,
  histogram,
  registry,
  type Tally,
  tallyCounter,
} from './metrics.js'
export { operationsRoutes } from './operations.js'
export {
  InsufficientPointsError,
  type PointCall,
  PointRequestInvalidError,
  PointUseNotFoundError,
  pointRefusalFromReply,
  ReferenceConflictError,
  ReferenceVoidedError,
} from './point-contract.js'
export {
  bearerToken,
  createQueueTokenSigner,
  parseQueueTokenKeys,
  parseSigningKeys,
  QUEUE_TOKEN_KEYS_PATTERN,
  QUEUE_TOKEN_REFUSALS,
  type QueueTokenClaims,
  type QueueTokenKey,
  type QueueTokenRejection,
  type QueueTokenSigner,
  QueueUnavailableError,
  queueTokenRejection,
  SIGNING_KEYS_PATTERN,
  TokenExpiredError,
  TokenInvalidError,
  TokenMissingError,
  TokenNotActiveError,
  TokenRevokedError,
} from './queue-token.js'
export { QUEUE_USER_HEADER, queueUserOf } from './queue-user.js'
export {
  clusterNodesOf,
  connectRedis,
  createBlockingRedis,
  createRedis,
  isCluster,
  isRedisUnavailableError,
  type RedisClient,
  type RedisTarget,
  redisReady,
  redisTargetOf,
} from './redis.js'
export { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js'
export { watchInstances } from './rotation.js'
export { appendRouteHook } from './route-hooks.js'
export {
  DATABASE_REFUSALS,
  Data,
  ErrorResponse,
  Id,
  INVALID_BODY,
  INVALID_INPUT,
  mergeRefusals,
  NOT_SIGNED_IN_USER,
  Refusal,
  type Refusals,
  refusalsByStatus,
  refusalsOf,
  responses,
  UserId,
} from './schemas.js'
export {
  createServer,
  createSideServer,
  type ListenAddress,
  listen,
  listenAside,
  runMain,
  type Server,
  type ServerOptions,
} from './server.js'
export {
  type AssertedRequest,
  bodyHash,
  bookingAssertionKeysField,
  bookingAssertionKeysSecret,
  canonicalTarget,
  createServiceAssertionSigner,
  createServiceAssertionVerifier,
  DEVELOPMENT_BOOKING_ASSERTION_KEYS,
  DEVELOPMENT_GATEWAY_ASSERTION_KEYS,
  gatewayAssertionKeysField,
  gatewayAssertionKeysSecret,
  IDENTITY_HEADERS,
  parseAssertionKeys,
  SERVICE_ASSERTION_HEADER,
  SERVICE_ASSERTION_TTL_SECONDS,
  type ServiceAssertionCheck,
  type ServiceAssertionRejection,
  type ServiceAssertionSigner,
  type ServiceAssertionVerifier,
  type ServiceCaller,
  signerFromEnv,
} from './service-assertion.js'
export { callerFor, type ServiceTrustOptions, serviceTrustPlugin } from './service-trust.js'
export { type ThrottledWarning, throttledWarning, type WarningLog } from './throttled-warning.js'
export { replayDelayMs, replaysFor, UNPROCESSED_HEADER, wasCutOff, wasUnprocessed } from './unprocessed.js'
export {
  assertSignedInUser,
  signedInUserOf,
  USER_HEADER,
  UserMismatchError,
  userIdFromHeader,
} from './user-identity.js'
export {
  DEVELOPMENT_USER_TOKEN_SECRET,
  DEVELOPMENT_USER_TOKENS,
  signUserToken,
  type UserAuthConfig,
  userAuthConfigSchema,
  userTokenSecret,
  userTokenSecretInUse,
} from './user-token.js'
export { bodyCheck } from './validation.js'
export { withTimeout } from './with-timeout.js'
