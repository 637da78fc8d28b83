import { type Kysely, sql } from 'kysely'

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('point_wallet')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey())
    .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', sql`datetime(3)`, (c) =>
      c.notNull().defaultTo(sql`current_timestamp(3)`).modifyEnd(sql`on update current_timestamp(3)`),
    )
    .addCheckConstraint('point_wallet_balance_not_negative', sql`balance between 0 and 9007199254740991`)
    .execute()

  await db.schema
    .createTable('point_history')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('type', sql`enum('CHARGE','USE','REFUND')`, (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('balance_after', 'bigint', (c) => c.notNull())
    .addColumn('reference', 'varchar(64)')
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .execute()
  // History pages newest-first per user.
  await db.schema.createIndex('point_history_user_id_id').on('point_history').columns(['user_id', 'id']).execute()
  // A use or refund happens once per reference; charges carry no reference (NULLs never collide).
  await db.schema
    .createIndex('point_history_type_reference')
    .on('point_history')
    .columns(['type', 'reference'])
    .unique()
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('point_history').execute()
  await db.schema.dropTable('point_wallet').execute()
}
