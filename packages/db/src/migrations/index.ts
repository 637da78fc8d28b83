import type { Migration, MigrationProvider } from 'kysely'
import * as point from './2026-11-01T0000-point.js'
import * as catalog from './2026-11-02T0000-catalog.js'
import * as booking from './2026-11-03T0000-booking.js'

/** Listed here (not read from disk) so the migration set is part of the build. Append only. */
const migrations: Record<string, Migration> = {
  '2026-11-01T0000-point': point,
  '2026-11-02T0000-catalog': catalog,
  '2026-11-03T0000-booking': booking,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
