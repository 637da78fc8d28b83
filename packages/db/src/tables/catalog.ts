import type { ColumnType, Generated } from 'kysely'

/** Written by the concert context only. */
export interface ConcertTable {
  id: Generated<number>
  name: string
  singer: string
  /** First and last performance day (YYYY-MM-DD). */
  start_date: ColumnType<string, string, string>
  end_date: ColumnType<string, string, string>
  reserve_start_at: Date
  reserve_end_at: Date
  created_at: ColumnType<Date, never, never>
}

/** A dated performance of a concert: where and when. */
export interface ConcertOptionTable {
  id: Generated<number>
  concert_id: number
  venue: string
  starts_at: Date
  created_at: ColumnType<Date, never, never>
}

export interface SeatTable {
  id: Generated<number>
  concert_option_id: number
  seat_no: number
  /** Won. */
  price: number
}
