import type { PaymentRecord } from '../domain/records.ts'
import { type Db, readJson, writeJson } from './database.ts'
import type { PaymentRow } from './types.ts'

function toRecord (row: PaymentRow): PaymentRecord {
  return {
    id: row.id,
    externalId: row.external_id,
    billingAccountId: row.billing_account_id,
    currency: row.currency,
    amount: String(row.amount),
    unallocatedAmount: String(row.unallocated_amount),
    createdAt: row.created_at,
    body: readJson(row.body)
  }
}

export async function insertPayment (db: Db, p: PaymentRecord): Promise<void> {
  await db.insertInto('payment').values({
    id: p.id,
    external_id: p.externalId,
    billing_account_id: p.billingAccountId,
    currency: p.currency,
    amount: p.amount,
    unallocated_amount: p.unallocatedAmount,
    created_at: p.createdAt,
    body: writeJson(p.body)
  }).execute()
}

export async function findPayment (db: Db, id: string): Promise<PaymentRecord | undefined> {
  const row = await db.selectFrom('payment').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function findPaymentByExternalId (db: Db, externalId: string): Promise<PaymentRecord | undefined> {
  const row = await db.selectFrom('payment').selectAll().where('external_id', '=', externalId).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export { toRecord as paymentRecordFromRow }
