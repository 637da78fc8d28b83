import { type ConcertDb, contextDbs, seedDemoData } from '@stagepass/db'
import { createTestDatabase, seatIdsOf } from '@stagepass/testkit'
import { CompiledQuery, sql } from 'kysely'
import t from 'tap'
import { findConcertIdOfOption, listAvailableSeats, listConcertDates, listConcerts } from '../src/catalog.js'
import { reserveSeatRow, setReservationStatus } from './helpers.js'

interface PlanRow {
  table: string
  type: string
  key: string | null
  rows: string | number
  Extra: string
}

const { db } = await createTestDatabase(t)
// The demo catalog (30,000 seats) with a fifth of the seats of concert 1 reserved in every state.
await seedDemoData(db)
for (const option of [1, 2, 3]) {
  const seats = await seatIdsOf(db, option)
  for (const [i, seatId] of seats.entries()) {
    if (i % 5 !== 0) continue
    const id = await reserveSeatRow(db, seatId, { expiresInMs: i % 2 ? 300_000 : -1000 })
    if (i % 3 === 1) await setReservationStatus(db, id, 'PAID')
    if (i % 3 === 2) await setReservationStatus(db, id, i % 2 ? 'EXPIRED' : 'CANCELLED')
  }
}
// A concert with no performances yet and a performance with no seats yet: the paths that check existence.
const unannounced = { singer: 'Soon', start_date: '2027-12-01', end_date: '2027-12-01' }
await db
  .insertInto('concert')
  .values(
    [
      { id: 101, name: 'Announced' },
      { id: 102, name: 'Unscheduled' },
    ].map((c) => ({ ...c, ...unannounced, reserve_start_at: new Date(), reserve_end_at: new Date() })),
  )
  .execute()
await db
  .insertInto('concert_option')
  .values({ id: 301, concert_id: 101, venue: 'TBA', starts_at: new Date() })
  .execute()
await sql`analyze table concert, concert_option, seat, reservation`.execute(db)

/** Runs `work` on concert's handle to a Kysely that records every query it compiles. */
async function queriesOf(work: (db: ConcertDb) => Promise<unknown>): Promise<CompiledQuery[]> {
  const captured: CompiledQuery[] = []
  const recording = db.withPlugin({
    transformQuery: (args) => {
      captured.push(db.getExecutor().compileQuery(args.node, args.queryId))
      return args.node
    },
    transformResult: async (args) => args.result,
  })
  await work(contextDbs(recording).concert).catch(() => {})
  return captured
}

async function explain(query: CompiledQuery): Promise<PlanRow[]> {
  const { rows } = await db.executeQuery<PlanRow>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]))
  return rows
}

const now = new Date()
const cases: Array<[string, (db: ConcertDb) => Promise<unknown>]> = [
  ['GET /concerts', (db) => listConcerts(db, { after: 0, limit: 100 })],
  ['GET /concerts?cursor=', (db) => listConcerts(db, { after: 50, limit: 100 })],
  ['GET /concerts/:concertId/available-dates', (db) => listConcertDates(db, 1, now)],
  ['GET /concerts/:concertId/available-dates (no performances)', (db) => listConcertDates(db, 102, now)],
  ['GET /concerts/:concertOptionId/available-seats', (db) => listAvailableSeats(db, 1, now)],
  ['GET /concerts/:concertOptionId/available-seats (no seats)', (db) => listAvailableSeats(db, 301, now)],
  ['event consumer: concert of a performance', (db) => findConcertIdOfOption(db, 1)],
]

for (const [name, work] of cases) {
  t.test(`${name}: every table is reached through an index`, async (t) => {
    const queries = await queriesOf(work)
    t.ok(queries.length > 0)
    for (const query of queries) {
      const plan = await explain(query)
      t.comment(
        `${query.sql}\n${plan.map((r) => `${r.table} ${r.type} ${r.key} rows=${r.rows} ${r.Extra}`).join('\n')}`,
      )
      for (const row of plan) {
        // The first page may read the primary key from its start, in order; it stops after a page.
        const wholeList = name === 'GET /concerts' && row.type === 'index' && row.key === 'PRIMARY'
        if (!wholeList) t.not(row.type, 'ALL', `${row.table} is not scanned`)
        if (!wholeList) t.not(row.type, 'index', `${row.table} is not read whole`)
        t.notMatch(row.Extra ?? '', /Using temporary|Using filesort/, `${row.table}: no temporary table or sort`)
        if (row.table === 'r') t.equal(row.key, 'reservation_active_seat_id', 'reservations by the live-seat key')
      }
    }
  })
}
