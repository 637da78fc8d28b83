import { type Kysely, sql } from 'kysely'

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reservation')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('seat_id', 'bigint', (c) => c.notNull())
    .addColumn('concert_option_id', 'bigint', (c) => c.notNull())
    .addColumn('price', 'bigint', (c) => c.notNull())
    .addColumn('status', sql`enum('PENDING','PAID','EXPIRED','CANCELLED')`, (c) => c.notNull().defaultTo('PENDING'))
    .addColumn('hold_slot', 'smallint', (c) => c.notNull())
    .addColumn('expires_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull().defaultTo(sql`current_timestamp(3)`))
    .addColumn('paid_at', sql`datetime(3)`)
    .addColumn('active_seat_id', 'bigint', (c) =>
      c.generatedAlwaysAs(sql`if(status in ('PENDING','PAID'), seat_id, null)`).stored(),
    )
    .addColumn('pending_hold_slot', 'smallint', (c) =>
      c.generatedAlwaysAs(sql`if(status = 'PENDING', hold_slot, null)`).stored(),
    )
    .execute()
  // No double booking by construction: a seat has at most one PENDING or PAID reservation.
  await db.schema
    .createIndex('reservation_active_seat_id')
    .on('reservation')
    .column('active_seat_id')
    .unique()
    .execute()
  // The hold cap by construction: each PENDING hold of a user for a performance takes its own slot.
  await db.schema
    .createIndex('reservation_user_option_hold_slot')
    .on('reservation')
    .columns(['user_id', 'concert_option_id', 'pending_hold_slot'])
    .unique()
    .execute()
  // The expiry sweep: PENDING holds by expiry time.
  await db.schema
    .createIndex('reservation_status_expires_at')
    .on('reservation')
    .columns(['status', 'expires_at'])
    .execute()

  await db.schema
    .createTable('payment')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('reservation_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('status', sql`enum('PENDING','COMPLETED','DECLINED','REFUNDED','VOIDED')`, (c) => c.notNull())
    .addColumn('idempotency_key', 'varchar(128)')
    .addColumn('balance_after', 'bigint')
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('updated_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('paid_at', sql`datetime(3)`)
    .execute()
  // The reconciler: unfinished payments by age.
  await db.schema.createIndex('payment_status_updated_at').on('payment').columns(['status', 'updated_at']).execute()

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('event', 'varchar(64)', (c) => c.notNull())
    .addColumn('payload', 'json', (c) => c.notNull())
    .addColumn('state', sql`enum('PENDING','SENT')`, (c) => c.notNull().defaultTo('PENDING'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'varchar(500)')
    .addColumn('created_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('next_attempt_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('sent_at', sql`datetime(3)`)
    .execute()
  // The relay: due unsent events; the lag gauge: the oldest unsent one.
  await db.schema
    .createIndex('outbox_state_next_attempt_at')
    .on('outbox')
    .columns(['state', 'next_attempt_at'])
    .execute()
  // Retention: sent events by age.
  await db.schema.createIndex('outbox_state_sent_at').on('outbox').columns(['state', 'sent_at']).execute()

  await db.schema
    .createTable('sent_analytics')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
    .addColumn('event_id', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('payment_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('reservation_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('paid_at', sql`datetime(3)`, (c) => c.notNull())
    .addColumn('recorded_at', sql`datetime(3)`, (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sent_analytics').execute()
  await db.schema.dropTable('outbox').execute()
  await db.schema.dropTable('payment').execute()
  await db.schema.dropTable('reservation').execute()
}
