export { type QueueAppOptions, queueApp } from './app.js'
export { type QueueConfig, queueConfigFields, queueConfigSchema } from './config.js'
export { type QueueKeys, queueKeys } from './keys.js'
export {
  createQueueStore,
  createTokenStateReader,
  type QueueStore,
  type Ticket,
  type TokenStateReader,
} from './store.js'
