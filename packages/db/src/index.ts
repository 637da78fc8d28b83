export { type MysqlConfig, mysqlConfigSchema, mysqlSecrets } from './config.js'
export {
  type BookingDb,
  type BookingTransaction,
  type ConcertDb,
  contextDbs,
  type PointDb,
  type PointTransaction,
} from './context-db.js'
export type { Database } from './database.js'
export { isDuplicateKey } from './errors.js'
export { createDb, createServerConnection, type Db, ensureDatabase, migrateToLatest, pingDb } from './mysql.js'
export { dbPlugin } from './plugin.js'
export {
  CatalogNotEmptyError,
  DEFAULT_DEMO_DATA,
  type DemoDataSize,
  type DemoDataSummary,
  FIXTURE_OPTION_SEATS,
  seedDemoData,
  seedDemoDataIfEmpty,
} from './seed.js'
export type {
  OutboxState,
  OutboxTable,
  PaymentStatus,
  PaymentTable,
  ReservationStatus,
  ReservationTable,
  SentAnalyticsTable,
} from './tables/booking.js'
export type { ConcertOptionTable, ConcertTable, SeatTable } from './tables/catalog.js'
export type { PointHistoryTable, PointHistoryType, PointWalletTable } from './tables/point.js'
export {
  type Answer,
  inOneRoundTrip,
  inTransaction,
  inTwoScripts,
  type Statement,
  type WriteResult,
} from './transaction.js'
