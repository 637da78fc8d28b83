export {
  bullPrefix,
  consumeEvents,
  type EventBusOptions,
  type EventHandlers,
  type EventMeta,
  EventPublisher,
  queueName,
  registerJobCountGauge,
} from './bus.js'
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
