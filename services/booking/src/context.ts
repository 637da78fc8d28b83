import type { BookingDb } from '@stagepass/db'
import type { Clock } from '@stagepass/kit'
import type { BookingSettings } from './config.js'
import type { HoldBatches } from './hold-batches.js'
import type { HoldExpiryQueue } from './hold-expiry.js'
import type { BookingHooks } from './hooks.js'
import type { PaymentBatches } from './payment-batches.js'
import type { PointClient } from './points.js'
import type { TakenSeats } from './taken-seats.js'

/** What booking's routes and workers share inside one process. */
export interface BookingContext {
  db: BookingDb
  settings: BookingSettings
  points: PointClient
  hooks: BookingHooks
  expiry: HoldExpiryQueue
  /** Seats just seen taken: refused for up to a second without a query. */
  takenSeats: TakenSeats
  /** The seat reads and hold writes of one turn of the event loop, sent together. */
  holdBatches: HoldBatches
  /** The reads and writes of the payments of one turn of the event loop, sent together. */
  paymentBatches: PaymentBatches
  failAfterPointUse: boolean
  /** What decides whether a hold has lapsed, everywhere in booking (holds.ts). */
  clock: Clock
}
