export {
  type BullmqRedis,
  bullmqConnection,
  bullmqRedisOf,
  bullPrefix,
  consumeEvents,
  type EventBusOptions,
  type EventConsumer,
  type EventHandlers,
  type EventMeta,
  EventPublisher,
  type PublishedEvent,
  queueName,
  redisTargetOfBus,
  registerJobCountGauge,
} from './bus.js'
export { closeBullmq } from './close.js'
export {
  CONSUMERS,
  type ConsumerName,
  type EventName,
  type EventPayloads,
  type PaymentCompleted,
  type ReservationHeld,
  type ReservationReleased,
  SUBSCRIPTIONS,
} from './events.js'
export { type FailedJob, FailedJobs, type FailedJobsOptions } from './failed-jobs.js'
export { type BullmqObservation, observeConnection, observeQueue, observeWorker } from './observe.js'
