import type { HeldReservation } from './holds.js'

export type ReleaseTrigger = 'reserve' | 'pay' | 'job' | 'sweep'

/** What the domain tells the process after a commit: the relay is nudged and metrics counted here. */
export interface BookingHooks {
  /** Outbox events were committed. */
  eventsCommitted(): void
  /** A lapsed hold was released (its `reservation.released` event is committed). */
  holdReleased(hold: HeldReservation, trigger: ReleaseTrigger): void
}
