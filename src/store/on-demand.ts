import type { OnDemandRecord } from '../domain/records.ts'
import { type Db, readJson, writeJson } from './database.ts'
import type { OnDemandRow } from './types.ts'

function toRecord (row: OnDemandRow): OnDemandRecord {
  return {
    id: row.id,
    billingAccountId: row.billing_account_id,
    state: row.state,
    customerBillId: row.customer_bill_id,
    createdAt: row.created_at,
    lastUpdate: row.last_update,
    body: readJson(row.body)
  }
}

function toRow (r: OnDemandRecord): OnDemandRow {
  return {
    id: r.id,
    billing_account_id: r.billingAccountId,
    state: r.state,
    customer_bill_id: r.customerBillId,
    created_at: r.createdAt,
    last_update: r.lastUpdate,
    body: writeJson(r.body)
  }
}

export async function insertOnDemand (db: Db, r: OnDemandRecord): Promise<void> {
  await db.insertInto('customer_bill_on_demand').values(toRow(r)).execute()
}

export async function findOnDemand (db: Db, id: string): Promise<OnDemandRecord | undefined> {
  const row = await db.selectFrom('customer_bill_on_demand').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

/**
 * Claims one pending request for processing. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several server
 * processes work the queue without taking the same request twice; the lock lasts until the caller's
 * transaction commits the outcome.
 */
export async function claimPendingOnDemand (db: Db, skipLocked: boolean): Promise<OnDemandRecord | undefined> {
  let q = db.selectFrom('customer_bill_on_demand').selectAll().where('state', '=', 'inProgress')
    .orderBy('created_at').orderBy('id').limit(1)
  if (skipLocked) q = q.forUpdate().skipLocked()
  const row = await q.executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function updateOnDemand (db: Db, r: OnDemandRecord): Promise<void> {
  const { id, ...rest } = toRow(r)
  await db.updateTable('customer_bill_on_demand').set(rest).where('id', '=', id).execute()
}

export { toRecord as onDemandRecordFromRow }
