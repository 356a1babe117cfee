import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../dialect.ts'

/**
 * Column types that differ between the stores. Money is stored exactly: decimal text on SQLite (SQLite has
 * no decimal type and REAL would round), NUMERIC on PostgreSQL. Booleans are 0/1 integers on both. Timestamps are ISO-8601 UTC text on SQLite
 * (they sort lexicographically) and TIMESTAMPTZ on PostgreSQL.
 */
export function columnTypes (dialect: DialectName) {
  const pg = dialect === 'postgres'
  return {
    json: pg ? sql`jsonb` : sql`text`,
    // Booleans are 0/1 integers on both stores: one representation, no driver differences.
    bool: sql`integer`,
    time: pg ? sql`timestamptz` : sql`text`,
    money: pg ? sql`numeric` : sql`text`,
    bytes: pg ? sql`bytea` : sql`blob`,
    bigint: pg ? sql`bigint` : sql`integer`
  }
}

export async function up (db: Kysely<any>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect)
  const pg = dialect === 'postgres'

  await db.schema.createTable('billing_account')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('bill_cycle_day', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('payment_terms_days', 'integer', (c) => c.notNull().defaultTo(30))
    .addColumn('created_at', t.time, (c) => c.notNull())
    .execute()

  await db.schema.createTable('applied_customer_billing_rate')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('external_id', 'text', (c) => c.unique())
    .addColumn('billing_account_id', 'text', (c) => c.notNull())
    .addColumn('is_billed', t.bool, (c) => c.notNull())
    .addColumn('bill_id', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tax_excluded_amount', t.money, (c) => c.notNull())
    .addColumn('date', t.time, (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('product_id', 'text')
    .addColumn('created_at', t.time, (c) => c.notNull())
    .addColumn('body', t.json, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('acbr_unbilled_by_account')
    .on('applied_customer_billing_rate').columns(['billing_account_id', 'is_billed', 'date']).execute()
  await db.schema.createIndex('acbr_is_billed').on('applied_customer_billing_rate').columns(['is_billed', 'id']).execute()
  await db.schema.createIndex('acbr_bill').on('applied_customer_billing_rate').column('bill_id').execute()

  await db.schema.createTable('customer_bill')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bill_no', 'text', (c) => c.notNull().unique())
    .addColumn('billing_account_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('run_type', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('bill_date', t.time, (c) => c.notNull())
    .addColumn('period_start', t.time, (c) => c.notNull())
    .addColumn('period_end', t.time, (c) => c.notNull())
    .addColumn('payment_due_date', t.time, (c) => c.notNull())
    .addColumn('amount_due', t.money, (c) => c.notNull())
    .addColumn('remaining_amount', t.money, (c) => c.notNull())
    .addColumn('on_demand_id', 'text', (c) => c.unique())
    .addColumn('last_update', t.time, (c) => c.notNull())
    .addColumn('body', t.json, (c) => c.notNull())
    .execute()
  // NOTE: exactly-once billing: one on-cycle bill per account, period and currency, enforced by the database.
  await db.schema.createIndex('customer_bill_one_per_period').unique()
    .on('customer_bill').columns(['billing_account_id', 'period_start', 'period_end', 'currency'])
    .where(sql.ref('run_type'), '=', 'onCycle').execute()
  await db.schema.createIndex('customer_bill_account_state').on('customer_bill').columns(['billing_account_id', 'state']).execute()
  await db.schema.createIndex('customer_bill_state').on('customer_bill').columns(['state', 'bill_date']).execute()
  await db.schema.createIndex('customer_bill_bill_date').on('customer_bill').column('bill_date').execute()

  await db.schema.createTable('bill_document')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bill_id', 'text', (c) => c.notNull().unique())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer')
    .addColumn('content', t.bytes)
    .addColumn('rendered_at', t.time)
    .execute()
  await db.schema.createIndex('bill_document_pending').on('bill_document').column('rendered_at').execute()

  await db.schema.createTable('customer_bill_on_demand')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('billing_account_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('customer_bill_id', 'text')
    .addColumn('created_at', t.time, (c) => c.notNull())
    .addColumn('last_update', t.time, (c) => c.notNull())
    .addColumn('body', t.json, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('cbod_state').on('customer_bill_on_demand').columns(['state', 'created_at']).execute()
  await db.schema.createIndex('cbod_account').on('customer_bill_on_demand').column('billing_account_id').execute()

  await db.schema.createTable('payment')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('external_id', 'text', (c) => c.unique())
    .addColumn('billing_account_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', t.money, (c) => c.notNull())
    .addColumn('unallocated_amount', t.money, (c) => c.notNull())
    .addColumn('created_at', t.time, (c) => c.notNull())
    .addColumn('body', t.json, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('payment_account').on('payment').column('billing_account_id').execute()

  // Gap-free counters (bill numbers): incremented inside the transaction that uses the number.
  await db.schema.createTable('sequence')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', t.bigint, (c) => c.notNull())
    .execute()

  await db.schema.createTable('hub_subscription')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('callback', 'text', (c) => c.notNull())
    .addColumn('query', 'text')
    .addColumn('secret', 'text')
    .addColumn('created_at', t.time, (c) => c.notNull())
    .execute()

  // Transactional outbox: written in the same transaction as the change that caused the event.
  await db.schema.createTable('event_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Enqueue order: event_time is the business time the engine passes (a bill run's bill date), so it
    // cannot order events. PostgreSQL draws seq from a sequence; on SQLite the trigger below sets it.
    .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => pg ? c.notNull().unique() : c.unique())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_time', t.time, (c) => c.notNull())
    .addColumn('payload', t.json, (c) => c.notNull())
    // The exact JSON text sent to subscribers (jsonb would reorder keys): every attempt sends the same bytes.
    .addColumn('body', 'text', (c) => c.notNull())
    // Set once the dispatcher has created this event's deliveries.
    .addColumn('fanned_out_at', t.time)
    .execute()
  await db.schema.createIndex('event_outbox_pending').on('event_outbox').columns(['fanned_out_at', 'seq']).execute()
  if (!pg) {
    // SQLite has no sequences; max + 1 is safe because SQLite has a single writer at a time.
    await sql`CREATE TRIGGER event_outbox_seq AFTER INSERT ON event_outbox WHEN NEW.seq IS NULL BEGIN
      UPDATE event_outbox SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM event_outbox) WHERE rowid = NEW.rowid;
    END`.execute(db)
  }

  await db.schema.createTable('event_delivery')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    // event_outbox.seq of the event, copied so that a subscription's queue is read in enqueue order.
    .addColumn('event_seq', t.bigint, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', t.time, (c) => c.notNull())
    .addColumn('locked_until', t.time)
    .addColumn('last_attempt_at', t.time)
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', t.time)
    .addColumn('created_at', t.time, (c) => c.notNull())
    .addUniqueConstraint('event_delivery_once', ['event_id', 'subscription_id'])
    .execute()
  await db.schema.createIndex('event_delivery_due').on('event_delivery').columns(['status', 'next_attempt_at']).execute()
  // A subscription's queue, due first and in enqueue order: the dispatcher's claim reads it as a range.
  await db.schema.createIndex('event_delivery_queue').on('event_delivery')
    .columns(['subscription_id', 'status', 'next_attempt_at', 'event_seq']).execute()

  // Leases for work that must run on one node at a time (the bill-run scheduler).
  await db.schema.createTable('lease')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', t.time, (c) => c.notNull())
    .execute()
}
