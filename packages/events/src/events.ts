/** Integration events between contexts: names, payloads, and who subscribes to each. */

export interface ReservationHeld {
  reservationId: number
  userId: number
  seatId: number
  concertOptionId: number
  /** ISO-8601 UTC: when the hold lapses unless paid. */
  expiresAt: string
}

export interface ReservationReleased {
  reservationId: number
  userId: number
  seatId: number
  concertOptionId: number
  reason: 'EXPIRED' | 'CANCELLED'
}

export interface PaymentCompleted {
  paymentId: number
  reservationId: number
  userId: number
  seatId: number
  concertOptionId: number
  amount: number
  /** ISO-8601 UTC. */
  paidAt: string
  /**
   * The payer's other holds still live when this one was paid: while there are any, their queue
   * token stays valid to pay for them. Absent in events written before it existed (read as 0).
   */
  liveHolds?: number
}

export interface EventPayloads {
  'reservation.held': ReservationHeld
  'reservation.released': ReservationReleased
  'payment.completed': PaymentCompleted
}

export type EventName = keyof EventPayloads

/** The consumers, each reading its own BullMQ queue (BullMQ queues are work queues, not topics). */
export const CONSUMERS = ['queue', 'concert', 'data-platform'] as const
export type ConsumerName = (typeof CONSUMERS)[number]

/** Fan-out: publishing an event enqueues one job per subscriber. */
export const SUBSCRIPTIONS: { readonly [E in EventName]: readonly ConsumerName[] } = {
  'reservation.held': ['concert'],
  'reservation.released': ['concert'],
  'payment.completed': ['queue', 'concert', 'data-platform'],
}
