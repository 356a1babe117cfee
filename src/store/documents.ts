import type { Db } from './database.ts'

export interface BillDocumentRecord {
  id: string
  billId: string
  mimeType: string
  size: number | null
  content: Buffer | null
}

/** Reserves the documents of new bills: rows waiting for the renderer, inserted 500 per statement. */
export async function insertBillDocuments (db: Db, docs: { id: string; billId: string; mimeType: string }[]): Promise<void> {
  const rows = docs.map((doc) => ({ id: doc.id, bill_id: doc.billId, mime_type: doc.mimeType, size: null, content: null, rendered_at: null }))
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('bill_document').values(rows.slice(i, i + 500)).execute()
}

export async function findBillDocument (db: Db, id: string): Promise<BillDocumentRecord | undefined> {
  const row = await db.selectFrom('bill_document').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    billId: row.bill_id,
    mimeType: row.mime_type,
    size: row.size,
    content: row.content ? Buffer.from(row.content) : null
  }
}

/** Documents waiting to be rendered, oldest bills first. */
export async function findPendingDocuments (db: Db, limit: number): Promise<{ id: string; billId: string }[]> {
  const rows = await db.selectFrom('bill_document').select(['id', 'bill_id']).where('rendered_at', 'is', null)
    .orderBy('id').limit(limit).execute()
  return rows.map((r) => ({ id: r.id, billId: r.bill_id }))
}

/**
 * Takes one waiting document for this transaction, skipping those another process holds (PostgreSQL), from
 * `afterId` on when given.
 * NOTE: a renderer passes the id it claimed last. Rendered documents stay in the partial index of waiting ones as
 * dead entries until VACUUM, and a claim from the start walked over all of them: rendering slowed down with every
 * document rendered (47 documents/s at 70,000 rendered, 100,000-bill run).
 */
export async function claimPendingDocument (db: Db, afterId?: string): Promise<{ id: string; billId: string } | undefined> {
  let q = db.selectFrom('bill_document').select(['id', 'bill_id']).where('rendered_at', 'is', null)
  if (afterId !== undefined) q = q.where('id', '>', afterId)
  const row = await q.orderBy('id').limit(1).forUpdate().skipLocked().executeTakeFirst()
  return row ? { id: row.id, billId: row.bill_id } : undefined
}

export async function saveRenderedDocument (db: Db, id: string, content: Buffer, renderedAt: string): Promise<boolean> {
  const res = await db.updateTable('bill_document').set({ content, size: content.length, rendered_at: renderedAt })
    .where('id', '=', id).where('rendered_at', 'is', null).executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}
