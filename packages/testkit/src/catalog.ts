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
