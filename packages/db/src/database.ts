import type { OutboxTable, PaymentTable, ReservationTable, SentAnalyticsTable } from './tables/booking.js'
import type { ConcertOptionTable, ConcertTable, SeatTable } from './tables/catalog.js'
import type { PointHistoryTable, PointVoidTable, PointWalletTable } from './tables/point.js'

/** Every table, each written by exactly one context (see docs/architecture.md). */
export interface Database {
  point_wallet: PointWalletTable
  point_history: PointHistoryTable
  point_void: PointVoidTable
  concert: ConcertTable
  concert_option: ConcertOptionTable
  seat: SeatTable
  reservation: ReservationTable
  payment: PaymentTable
  outbox: OutboxTable
  sent_analytics: SentAnalyticsTable
}
