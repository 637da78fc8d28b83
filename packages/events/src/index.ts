export {
  bullPrefix,
  consumeEvents,
  type EventBusOptions,
  type EventHandlers,
  type EventMeta,
  EventPublisher,
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
