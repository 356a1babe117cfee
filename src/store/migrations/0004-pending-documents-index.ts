import { type Kysely, sql } from 'kysely'
import type { DialectName } from '../dialect.ts'

/**
 * The document renderer takes the oldest waiting document (`WHERE rendered_at IS NULL ORDER BY id LIMIT …`).
 * With only an index on `rendered_at`, every claim sorted all waiting documents by id: after a bill run of
 * 100,000 bills that made rendering quadratic (45 documents/s on PostgreSQL). A partial index of the waiting
 * documents in id order answers each claim by reading its first entry, and shrinks as documents are rendered.
 */
export async function up (db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('bill_document_waiting').on('bill_document').column('id')
    .where(sql.ref('rendered_at'), 'is', null).execute()
  await db.schema.dropIndex('bill_document_pending').execute()
}
