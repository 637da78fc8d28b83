export { type QueueAppOptions, queueApp } from './app.js'
export {
  loadQueueConfig,
  type QueueConfig,
  queueConfigFields,
  queueConfigSchema,
  queueSecrets,
  queueServiceSecrets,
  queueTokenKeysSecret,
} from './config.js'
export { type QueueKeys, queueKeys } from './keys.js'
export {
  type ChallengeClaims,
  type ChallengeSigner,
  createChallengeSigner,
  type IssuedChallenge,
  leadingZeroBits,
  solveChallenge,
  solvesChallenge,
} from './proof-of-work.js'
export { queuePublicApi } from './public-api.js'
export {
  createQueueStore,
  createRevocationReader,
  createTokenStateReader,
  type QueueStore,
  type RevocationReader,
  type Ticket,
  type TokenState,
  type TokenStateReader,
} from './store.js'
