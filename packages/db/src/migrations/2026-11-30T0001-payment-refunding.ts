import { type Kysely, sql } from 'kysely'

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  // REFUNDING: booking has decided to give the points back and may ask point for it, until settled.
  await sql`alter table payment modify status enum('PENDING','COMPLETED','DECLINED','REFUNDING','REFUNDED','VOIDED') not null`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table payment modify status enum('PENDING','COMPLETED','DECLINED','REFUNDED','VOIDED') not null`.execute(
    db,
  )
}
