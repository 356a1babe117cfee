import { type Kysely, sql } from 'kysely'
import type { DialectName } from './dialect.ts'
import * as initial from './migrations/0001-initial.ts'
import * as unbilledRatesIndex from './migrations/0002-unbilled-rates-index.ts'
import * as listSortIndexes from './migrations/0003-list-sort-indexes.ts'
import * as pendingDocumentsIndex from './migrations/0004-pending-documents-index.ts'
import * as rateIndexChurn from './migrations/0005-rate-index-churn.ts'

interface Migration { up(db: Kysely<any>, dialect: DialectName): Promise<void> }

/** Ordered list: a migration, once released, is never edited; add a new file instead. */
const migrations: [string, Migration][] = [
  ['0001-initial', initial],
  ['0002-unbilled-rates-index', unbilledRatesIndex],
  ['0003-list-sort-indexes', listSortIndexes],
  ['0004-pending-documents-index', pendingDocumentsIndex],
  ['0005-rate-index-churn', rateIndexChurn]
]

/** Key of the PostgreSQL advisory lock held while migrating (one migrator per database at a time). */
export const MIGRATION_LOCK_KEY = 678678

/**
 * Applies the pending migrations, all in one transaction (DDL is transactional on both stores): a failure
 * leaves the schema as it was. On PostgreSQL the transaction first takes an advisory lock, so several server
 * processes starting at once are safe: one migrates, the others wait and then find nothing to do. The
 * schema itself is created under the lock too, since two concurrent `CREATE SCHEMA IF NOT EXISTS` can clash.
 * Returns the names applied, in order.
 */
export async function migrate (db: Kysely<any>, dialect: DialectName, schema?: string): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx)
    if (schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(trx)
    await trx.schema.createTable('schema_migration').ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute()
    const done = new Set((await trx.selectFrom('schema_migration').select('name').execute()).map((r) => r.name as string))
    const applied: string[] = []
    for (const [name, m] of migrations) {
      if (done.has(name)) continue
      await m.up(trx, dialect)
      await trx.insertInto('schema_migration').values({ name, applied_at: new Date().toISOString() }).execute()
      applied.push(name)
    }
    return applied
  })
}

/** Names of every migration this version knows, in order. */
export function knownMigrations (): string[] {
  return migrations.map(([name]) => name)
}
