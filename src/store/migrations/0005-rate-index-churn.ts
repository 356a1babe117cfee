import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../dialect.ts'

/**
 * Billing a rate sets `is_billed` and `bill_id`, and every index holding either column is rewritten for it: four
 * of the rate table's seven indexes. Those updates were most of a bill run's time in SQLite (docs/benchmarks.md).
 * The indexes that billing touches are now partial, so billing a rate only deletes two entries and adds one:
 * - `acbr_unbilled_by_account` (account, is_billed, date) becomes `acbr_account` (account, id): an account's
 *   rates, billed or not, in list order; its unbilled ones are read through the partial `acbr_unbilled`
 *   (account, date, migration 0002), which the planners prefer for `date <` once the two differ in their second column.
 * - `acbr_is_billed` (is_billed, id) becomes `acbr_unbilled_id` (id) of the unbilled rates only: the list of
 *   unbilled rates in creation order. Billed rates are most of the table: their list reads the table in id order.
 * - `acbr_bill` holds billed rates only (a bill's rates); unbilled ones have no bill to look up.
 * Queries say `is_billed = 0` as a literal (src/store/query-sql.ts) so that both stores can use the partial indexes.
 */
export async function up (db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('acbr_account').on('applied_customer_billing_rate').columns(['billing_account_id', 'id']).execute()
  await db.schema.dropIndex('acbr_unbilled_by_account').execute()
  await db.schema.createIndex('acbr_unbilled_id').on('applied_customer_billing_rate').column('id')
    .where(sql.ref('is_billed'), '=', 0).execute()
  await db.schema.dropIndex('acbr_is_billed').execute()
  await db.schema.dropIndex('acbr_bill').execute()
  await db.schema.createIndex('acbr_bill').on('applied_customer_billing_rate').column('bill_id')
    .where(sql.ref('bill_id'), 'is not', null).execute()
}
