import type { ColumnType, Generated } from 'kysely'

export type ReservationStatus = 'PENDING' | 'PAID' | 'EXPIRED' | 'CANCELLED'

/** Written by the booking context only; concert reads it to tell which seats are taken. */
export interface ReservationTable {
  id: Generated<number>
  user_id: number
  seat_id: number
  concert_option_id: number
  /** Won, copied from the seat when the hold was made. */
  price: number
  status: ColumnType<ReservationStatus, ReservationStatus | undefined, ReservationStatus>
  /** Which of the user's hold slots for this performance the reservation takes (1..the hold cap). */
  hold_slot: number
  expires_at: Date
  created_at: ColumnType<Date, Date | undefined, never>
  paid_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** `seat_id` while PENDING or PAID, NULL otherwise; UNIQUE, so a seat has one live reservation. */
  active_seat_id: ColumnType<number | null, never, never>
  /** `hold_slot` while PENDING, NULL otherwise; UNIQUE per user and performance: the hold cap. */
  pending_hold_slot: ColumnType<number | null, never, never>
}

/**
 * The payment of a reservation, one row per reservation. PENDING is written before points are
 * taken, so a payment interrupted between the point use and the PAID commit is always found.
 * REFUNDING is written before booking asks point for a refund: only such a payment is refunded.
 */
export type PaymentStatus = 'PENDING' | 'COMPLETED' | 'DECLINED' | 'REFUNDING' | 'REFUNDED' | 'VOIDED'

export interface PaymentTable {
  id: Generated<number>
  reservation_id: number
  user_id: number
  amount: number
  status: PaymentStatus
  /** The `Idempotency-Key` of the request that completed the payment. */
  idempotency_key: string | null
  /** The payer's balance right after the point use (the `currentPoints` of the first 200). */
  balance_after: number | null
  created_at: ColumnType<Date, Date, never>
  updated_at: Date
  paid_at: Date | null
}

export type OutboxState = 'PENDING' | 'SENT'

/** Integration events committed with the change that caused them, until the relay publishes them. */
export interface OutboxTable {
  id: Generated<number>
  event: string
  /** JSON text. */
  payload: ColumnType<unknown, string, never>
  state: ColumnType<OutboxState, OutboxState | undefined, OutboxState>
  attempts: ColumnType<number, number | undefined, number>
  last_error: string | null
  created_at: ColumnType<Date, Date, never>
  next_attempt_at: Date
  sent_at: Date | null
}

/** What the data-platform consumer (a stand-in for an external analytics system) has recorded. */
export interface SentAnalyticsTable {
  id: Generated<number>
  event_id: string
  payment_id: number
  reservation_id: number
  user_id: number
  amount: number
  paid_at: Date
  recorded_at: Date
}
