import type { PointHistoryTable, PointWalletTable } from './tables/point.js'

/** Every table, each written by exactly one context (see docs/architecture.md). */
export interface Database {
  point_wallet: PointWalletTable
  point_history: PointHistoryTable
}
