import type { ColumnType, Generated } from 'kysely'

export interface PointWalletTable {
  user_id: number
  balance: number
  updated_at: ColumnType<Date, never, Date>
}

export type PointHistoryType = 'CHARGE' | 'USE' | 'REFUND'

/** A reference refunded before any use was made with it: a later use with it is refused. */
export interface PointVoidTable {
  reference: string
  created_at: ColumnType<Date, never, never>
}

export interface PointHistoryTable {
  id: Generated<number>
  user_id: number
  type: PointHistoryType
  amount: number
  balance_after: number
  /** Idempotency key of a `use` or `refund` (the caller's id for the operation); null for charges. */
  reference: string | null
  created_at: ColumnType<Date, never, never>
}
