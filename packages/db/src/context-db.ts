import type { Kysely, Transaction } from 'kysely'
import type { BookingTables, ConcertTables, PointTables } from './database.js'
import type { Db } from './mysql.js'

/** The statements that write, each to the tables it names. */
type Writes = 'insertInto' | 'replaceInto' | 'updateTable' | 'deleteFrom' | 'mergeInto'

/**
 * The ways to a query builder over other tables than the handle's (a CTE, another schema, a plugin,
 * a connection or transaction of its own): left out, so a handle cannot be widened by accident.
 * Transactions go through `inTransaction`.
 */
type Widening =
  | 'with'
  | 'withRecursive'
  | 'withSchema'
  | 'withPlugin'
  | 'withoutPlugins'
  | 'withTables'
  | 'connection'
  | 'transaction'
  | 'startTransaction'

/** Type-only: what a handle reaches, so `inTransaction` can give its transaction the same. */
declare const reach: unique symbol
export interface Reach<Owns, Reads> {
  readonly [reach]?: { owns: Owns; reads: Reads }
}

/**
 * A context's view of the shared pool: it reads `Owns` and `Reads`, and writes `Owns` only (a write
 * statement, its `where` included, sees only `Owns`). Raw `sql` is not checked.
 */
export type ContextDb<Owns, Reads> = Omit<Kysely<Owns & Reads>, Writes | Widening> &
  Pick<Kysely<Owns>, Writes> &
  Reach<Owns, Reads>

/** A transaction of a context's handle, with the same reach (`inTransaction`). */
export type ContextTransaction<Owns, Reads> = Omit<Transaction<Owns & Reads>, Writes | Widening> &
  Pick<Transaction<Owns>, Writes>

/** The transaction type of a handle type. */
export type TransactionOf<D> = D extends Reach<infer Owns, infer Reads> ? ContextTransaction<Owns, Reads> : never

/** Point reads nothing of the others. */
export type PointDb = ContextDb<PointTables, unknown>
export type PointTransaction = ContextTransaction<PointTables, unknown>
/** Concert reads booking's reservations to tell which seats are taken. */
export type ConcertDb = ContextDb<ConcertTables, Pick<BookingTables, 'reservation'>>
/** Booking reads the catalog's seats for their price, number and performance. */
export type BookingDb = ContextDb<BookingTables, Pick<ConcertTables, 'seat'>>
export type BookingTransaction = ContextTransaction<BookingTables, Pick<ConcertTables, 'seat'>>

/** Each context's handle to one pool; every handle is that very pool, only typed narrower. */
export interface ContextDbs {
  readonly point: PointDb
  readonly concert: ConcertDb
  readonly booking: BookingDb
}

export function contextDbs(db: Db): ContextDbs {
  // Kysely<Database> is not assignable to a narrowed handle (its builders are invariant in the
  // tables), so this is the one place the narrowing is asserted.
  const handle = db as unknown as PointDb & ConcertDb & BookingDb
  return { point: handle, concert: handle, booking: handle }
}
