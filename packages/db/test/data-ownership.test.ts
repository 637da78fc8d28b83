import { DummyDriver, Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler } from 'kysely'
import t from 'tap'
import { type BookingDb, type ConcertDb, contextDbs, type Database, inTransaction, type PointDb } from '../src/index.js'

// A Kysely that only compiles: nothing here reaches a database.
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new MysqlIntrospector(db),
    createQueryCompiler: () => new MysqlQueryCompiler(),
  },
})

t.test('every context queries through the one pool of its process', async (t) => {
  const handles = contextDbs(db)
  t.equal(handles.point, db)
  t.equal(handles.concert, db)
  t.equal(handles.booking, db)
})

t.test("a context's handle builds the statements of its own tables and of what it reads", async (t) => {
  const { point, concert, booking } = contextDbs(db)
  t.equal(
    point.updateTable('point_wallet').set({ balance: 1 }).where('user_id', '=', 1).compile().sql,
    'update `point_wallet` set `balance` = ? where `user_id` = ?',
  )
  t.equal(
    concert.selectFrom('seat as s').leftJoin('reservation as r', 'r.active_seat_id', 's.id').select('s.id').compile()
      .sql,
    'select `s`.`id` from `seat` as `s` left join `reservation` as `r` on `r`.`active_seat_id` = `s`.`id`',
  )
  t.equal(
    booking.selectFrom('seat').select('price').where('id', '=', 1).compile().sql,
    'select `price` from `seat` where `id` = ?',
  )
})

// Checked by the compiler, never run: every `@ts-expect-error` below is a statement the handle must
// refuse, and the build fails as soon as one of them compiles.

export function pointWritesOnlyItsTables(point: PointDb) {
  point.insertInto('point_void').values({ reference: 'r' })
  // @ts-expect-error point does not read the catalog
  point.selectFrom('seat')
  // @ts-expect-error nor booking's tables
  point.selectFrom('reservation')
}

export function concertReadsReservationsOnly(concert: ConcertDb) {
  concert.selectFrom('reservation').select('seat_id')
  // @ts-expect-error concert reads reservations, it does not write them
  concert.updateTable('reservation').set({ status: 'EXPIRED' })
  // @ts-expect-error nor delete them
  concert.deleteFrom('reservation')
  // @ts-expect-error payments are not concert's to read
  concert.selectFrom('payment')
  // @ts-expect-error nor points
  concert.selectFrom('point_wallet')
}

export async function bookingCannotWriteOtherTables(booking: BookingDb) {
  booking.updateTable('reservation').set({ status: 'EXPIRED' })
  // @ts-expect-error booking cannot write the point tables
  booking.insertInto('point_wallet').values({ user_id: 1, balance: 1 })
  // @ts-expect-error nor read them
  booking.selectFrom('point_history')
  // @ts-expect-error booking reads seats, it does not write them
  booking.updateTable('seat').set({ price: 0 })
  // @ts-expect-error nor add any
  booking.insertInto('seat').values({ concert_option_id: 1, seat_no: 1, price: 1 })
  // @ts-expect-error nor delete any
  booking.deleteFrom('seat')
  // @ts-expect-error a write sees only booking's tables, in its `where` too
  booking.updateTable('reservation').set({ status: 'EXPIRED' }).where('seat.price', '=', 0)
  // @ts-expect-error a handle cannot be widened to more tables
  booking.withTables<{ point_wallet: { balance: number } }>()
  await inTransaction(booking, async (trx) => {
    trx.deleteFrom('outbox')
    // @ts-expect-error a transaction of booking's handle has the same reach
    trx.insertInto('point_history')
  })
}
