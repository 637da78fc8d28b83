import { type Kysely, sql } from 'kysely'

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('concert')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('singer', 'varchar(200)', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('end_date', 'date', (c) => c.notNull())
    .addColumn('reserve_start_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('reserve_end_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .execute()

  await db.schema
    .createTable('concert_option')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('concert_id', 'bigint', (c) => c.notNull().references('concert.id'))
    .addColumn('venue', 'varchar(200)', (c) => c.notNull())
    .addColumn('starts_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .execute()
  // Dates of a concert, in order.
  await db.schema
    .createIndex('concert_option_concert_id_starts_at')
    .on('concert_option')
    .columns(['concert_id', 'starts_at'])
    .execute()

  await db.schema
    .createTable('seat')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('concert_option_id', 'bigint', (c) => c.notNull().references('concert_option.id'))
    .addColumn('seat_no', 'integer', (c) => c.notNull())
    .addColumn('price', 'bigint', (c) => c.notNull())
    .addCheckConstraint('seat_price_positive', sql`price > 0`)
    .execute()
  // Seats of a performance by number; one seat number per performance.
  await db.schema
    .createIndex('seat_concert_option_id_seat_no')
    .on('seat')
    .columns(['concert_option_id', 'seat_no'])
    .unique()
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('seat').execute()
  await db.schema.dropTable('concert_option').execute()
  await db.schema.dropTable('concert').execute()
}
