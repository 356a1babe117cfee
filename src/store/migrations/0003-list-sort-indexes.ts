import type { Kysely } from 'kysely'
import type { DialectName } from '../dialect.ts'

/**
 * Indexes for list queries sorted or filtered by a date (docs/postgresql.md). A list is ordered by its sort
 * keys and then by `id`, so an index on (date, id) returns a page without sorting anything:
 * - rates by `date` (`sort=-date`, `date.gte=…`): without an index PostgreSQL read all the rates (0.9 s for a
 *   million);
 * - bills by `billDate`: a bill run stamps all its bills with one bill date, so (bill_date) alone left tens of
 *   thousands of equal keys to sort by id; (bill_date, id) replaces it;
 * - bills by `lastUpdate` (`lastUpdate.gt=…`: what changed since the last sync).
 */
export async function up (db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('acbr_date').on('applied_customer_billing_rate').columns(['date', 'id']).execute()
  await db.schema.createIndex('customer_bill_bill_date_id').on('customer_bill').columns(['bill_date', 'id']).execute()
  await db.schema.dropIndex('customer_bill_bill_date').execute()
  await db.schema.createIndex('customer_bill_last_update').on('customer_bill').columns(['last_update', 'id']).execute()
}
