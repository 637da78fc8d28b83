import { type Kysely, sql } from 'kysely'

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  // A reference refunded before any use was made with it: a use arriving later is refused.
  await db.schema
    .createTable('point_void')
    .addColumn('reference', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('point_void').execute()
}
