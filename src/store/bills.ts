import type { BillRecord } from '../domain/records.ts'
import { type Db, readJson, reusableQuery, writeJson } from './database.ts'
import type { CustomerBillRow } from './types.ts'

function toRecord (row: CustomerBillRow): BillRecord {
  return {
    id: row.id,
    billNo: row.bill_no,
    billingAccountId: row.billing_account_id,
    state: row.state,
    runType: row.run_type,
    category: row.category,
    currency: row.currency,
    billDate: row.bill_date,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    paymentDueDate: row.payment_due_date,
    amountDue: String(row.amount_due),
    remainingAmount: String(row.remaining_amount),
    onDemandId: row.on_demand_id,
    lastUpdate: row.last_update,
    body: readJson(row.body)
  }
}

function toRow (b: BillRecord): CustomerBillRow {
  return {
    id: b.id,
    bill_no: b.billNo,
    billing_account_id: b.billingAccountId,
    state: b.state,
    run_type: b.runType,
    category: b.category,
    currency: b.currency,
    bill_date: b.billDate,
    period_start: b.periodStart,
    period_end: b.periodEnd,
    payment_due_date: b.paymentDueDate,
    amount_due: b.amountDue,
    remaining_amount: b.remainingAmount,
    on_demand_id: b.onDemandId,
    last_update: b.lastUpdate,
    body: writeJson(b.body)
  }
}

/** Inserts bills, 200 per statement (16 parameters a row: well under SQLite's bound-parameter limit). */
export async function insertBills (db: Db, bills: BillRecord[]): Promise<void> {
  for (let i = 0; i < bills.length; i += 200) await db.insertInto('customer_bill').values(bills.slice(i, i + 200).map(toRow)).execute()
}

/**
 * The accounts and currencies among `accountIds` whose on-cycle bill of the period exists already, as
 * `${accountId} ${currency}` keys (a bill run's batch asks once for all its accounts).
 */
export async function findCycleBilled (db: Db, accountIds: string[], periodStart: string, periodEnd: string): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set()
  const rows = await db.selectFrom('customer_bill').select(['billing_account_id', 'currency'])
    .where('billing_account_id', 'in', accountIds).where('period_start', '=', periodStart)
    .where('period_end', '=', periodEnd).where('run_type', '=', 'onCycle')
    .execute()
  return new Set(rows.map((r) => cycleBillKey(r.billing_account_id, r.currency)))
}

export function cycleBillKey (accountId: string, currency: string): string {
  return `${accountId} ${currency}`
}

// NOTE: GET customerBill/{id} is the hottest read; building and compiling the same kysely query on every
// request cost about as much CPU as SQLite's lookup itself.
const billById = reusableQuery((db) => db.selectFrom('customer_bill').selectAll().where('id', '=', ''))

export async function findBill (db: Db, id: string, lock = false): Promise<BillRecord | undefined> {
  if (!lock) {
    const { rows } = await db.executeQuery(billById(db, [id]))
    return rows[0] ? toRecord(rows[0]) : undefined
  }
  const row = await db.selectFrom('customer_bill').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function findBillsByOnDemand (db: Db, onDemandId: string): Promise<BillRecord[]> {
  const rows = await db.selectFrom('customer_bill').selectAll().where('on_demand_id', 'like', `${onDemandId}/%`).orderBy('bill_no').execute()
  return rows.map(toRecord)
}

/** Open bills of an account in one currency, oldest first: where unassigned payments go. */
export async function findOpenBills (db: Db, accountId: string, currency: string, lock: boolean): Promise<BillRecord[]> {
  let q = db.selectFrom('customer_bill').selectAll()
    .where('billing_account_id', '=', accountId).where('currency', '=', currency)
    .where('state', 'not in', ['settled', 'onHold'])
    .orderBy('bill_date').orderBy('bill_no')
  if (lock) q = q.forUpdate()
  return (await q.execute()).map(toRecord)
}

export async function updateBill (db: Db, bill: BillRecord): Promise<void> {
  const { id, ...rest } = toRow(bill)
  await db.updateTable('customer_bill').set(rest).where('id', '=', id).execute()
}

export { toRecord as billRecordFromRow }
