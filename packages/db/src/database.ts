import type { OutboxTable, PaymentTable, ReservationTable, SentAnalyticsTable } from './tables/booking.js'
import type { ConcertOptionTable, ConcertTable, SeatTable } from './tables/catalog.js'
import type { PointHistoryTable, PointVoidTable, PointWalletTable } from './tables/point.js'

/** The tables the point context writes. */
export interface PointTables {
  point_wallet: PointWalletTable
  point_history: PointHistoryTable
  point_void: PointVoidTable
}

/** The tables the concert context owns: the catalog (written by the demo-data seed, read by booking). */
export interface ConcertTables {
  concert: ConcertTable
  concert_option: ConcertOptionTable
  seat: SeatTable
}

/**
 * The tables the booking context writes, with `sent_analytics`: the record of the data-platform
 * stand-in, whose consumer runs in booking's workers.
 */
export interface BookingTables {
  reservation: ReservationTable
  payment: PaymentTable
  outbox: OutboxTable
  sent_analytics: SentAnalyticsTable
}

/**
 * Every table, each written by exactly one context (see docs/architecture.md). What the seed, the
 * launcher and tests query through; a context queries through its own handle (`context-db.ts`).
 */
export interface Database extends PointTables, ConcertTables, BookingTables {}
