export { type PointAppOptions, pointApp } from './app.js'
export { loadPointConfig, pointConfigSchema, pointSettingsFields } from './config.js'
export { type Balance, createPointLedger, type LedgerEntry, type PointLedger } from './ledger.js'
