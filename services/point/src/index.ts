export { type PointAppOptions, pointApp } from './app.js'
export { loadPointConfig, pointConfigSchema, pointSettingsFields } from './config.js'
export type { Balance, LedgerEntry } from './ledger.js'
export { createPointOperations, type PointOperations } from './operations.js'
