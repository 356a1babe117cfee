import { type Kysely, sql } from 'kysely'
import type { DialectName } from './dialect.ts'
import * as initial from './migrations/0001-initial.ts'

interface Migration { up(db: Kysely<any>, dialect: DialectName): Promise<void> }

/** Ordered list: a migration, once released, is never edited; add a new file instead. */
const migrations: [string, Migration][] = [
  ['0001-initial', initial]
]

/**
 * Applies pending migrations, each in its own transaction. On PostgreSQL an advisory lock makes concurrent
 * starts of several server processes safe: one migrates, the others wait and then find nothing to do.
 */
export async function migrate (db: Kysely<any>, dialect: DialectName, schema?: string): Promise<string[]> {
  if (schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db)
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(678678)`.execute(trx)
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
