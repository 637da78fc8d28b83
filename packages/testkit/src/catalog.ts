import type { Db } from '@stagepass/db'

/** Seat ids of a performance (concert option), by seat number. */
export async function seatIdsOf(db: Db, concertOptionId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('seat')
    .select('id')
    .where('concert_option_id', '=', concertOptionId)
    .orderBy('seat_no')
    .execute()
  return rows.map((row) => Number(row.id))
}

/** Catalog rows for a test: one performance of `seats` seats at `price`, written straight to the catalog tables. */
export async function addPerformance(
  db: Db,
  { seats, price = 50_000, name = 'Test Concert' }: { seats: number; price?: number; name?: string },
): Promise<{ concertOptionId: number; seatIds: number[] }> {
  const concert = await db
    .insertInto('concert')
    .values({
      name,
      singer: 'Test Singer',
      start_date: '2026-12-24',
      end_date: '2026-12-25',
      reserve_start_at: new Date('2026-11-01T00:00:00Z'),
      reserve_end_at: new Date('2026-12-24T00:00:00Z'),
    })
    .executeTakeFirstOrThrow()
  const option = await db
    .insertInto('concert_option')
    .values({ concert_id: Number(concert.insertId), venue: 'Test Hall', starts_at: new Date('2026-12-24T10:00:00Z') })
    .executeTakeFirstOrThrow()
  const concertOptionId = Number(option.insertId)
  await db
    .insertInto('seat')
    .values(Array.from({ length: seats }, (_, i) => ({ concert_option_id: concertOptionId, seat_no: i + 1, price })))
    .execute()
  return { concertOptionId, seatIds: await seatIdsOf(db, concertOptionId) }
}
