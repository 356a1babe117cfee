import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../dialect.ts'

/**
 * The engine's way into the rates: unbilled rates by account and date, indexing only unbilled rows. Most
 * rates are billed, so this index stays small (a tenth of the table or less) however large the history.
 * The bill run's scan for accounts to bill reads it in account order and stops after a page, instead of
 * collecting and sorting every unbilled rate (docs/postgresql.md). Queries must say `is_billed = 0` as a
 * literal for SQLite to use it; PostgreSQL also matches a bound 0.
 */
export async function up (db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('acbr_unbilled').on('applied_customer_billing_rate')
    .columns(['billing_account_id', 'date']).where(sql.ref('is_billed'), '=', 0).execute()
}
