export { type BookingAppOptions, bookingApp } from './app.js'
export { type BookingSettings, bookingConfigSchema, bookingSettingsSchema, loadBookingConfig } from './config.js'
export { recordPaymentSent } from './data-platform.js'
export { expireHold, sweepLapsedHolds } from './holds.js'
export { OutboxRelay, oldestUnsentAgeSeconds, pruneSentEvents } from './outbox.js'
export { reconcilePayments } from './payments.js'
export {
  createHttpPointClient,
  type PointClient,
  type PointUse,
  paymentReference,
  pointClientFromOperations,
} from './points.js'
