import type { Migration, MigrationProvider } from 'kysely'
import * as point from './2026-11-01T0000-point.js'
import * as catalog from './2026-11-02T0000-catalog.js'
import * as booking from './2026-11-03T0000-booking.js'
import * as pointVoid from './2026-11-30T0000-point-void.js'
import * as paymentRefunding from './2026-11-30T0001-payment-refunding.js'

/** Listed here (not read from disk) so the migration set is part of the build. Append only. */
const migrations: Record<string, Migration> = {
  '2026-11-01T0000-point': point,
  '2026-11-02T0000-catalog': catalog,
  '2026-11-03T0000-booking': booking,
  '2026-11-30T0000-point-void': pointVoid,
  '2026-11-30T0001-payment-refunding': paymentRefunding,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
