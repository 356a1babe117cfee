import { sql } from 'kysely'
import type { ListQuery } from '../api/query/types.ts'
import type { BillRecord, OnDemandRecord, PaymentRecord, RateRecord } from '../domain/records.ts'
import type { Store } from './database.ts'
import { applyFilters, applySort, asQueryError, type ResourceQueryMap } from './query-sql.ts'
import { billRecordFromRow } from './bills.ts'
import { onDemandRecordFromRow } from './on-demand.ts'
import { paymentRecordFromRow } from './payments.ts'
import { rateRecordFromRow } from './rates.ts'
import type { Database } from './types.ts'

/**
 * Which TMF attributes live in indexed columns, per resource. A filter or sort on these uses the column and
 * its index; any other attribute is read from the JSON body (correct, but a scan).
 */
export const customerBillMap: ResourceQueryMap = {
  table: 'customer_bill',
  columns: {
    id: { column: 'id', type: 'text' },
    billNo: { column: 'bill_no', type: 'text' },
    'billingAccount.id': { column: 'billing_account_id', type: 'text' },
    state: { column: 'state', type: 'text' },
    runType: { column: 'run_type', type: 'text' },
    category: { column: 'category', type: 'text' },
    billDate: { column: 'bill_date', type: 'time' },
    'billingPeriod.startDateTime': { column: 'period_start', type: 'time' },
    'billingPeriod.endDateTime': { column: 'period_end', type: 'time' },
    paymentDueDate: { column: 'payment_due_date', type: 'time' },
    lastUpdate: { column: 'last_update', type: 'time' },
    'amountDue.value': { column: 'amount_due', type: 'money' },
    'amountDue.unit': { column: 'currency', type: 'text' },
    'remainingAmount.value': { column: 'remaining_amount', type: 'money' },
    'remainingAmount.unit': { column: 'currency', type: 'text' }
  },
  arrays: ['taxItem', 'relatedParty', 'billDocument', 'appliedPayment'],
  defaultSort: []
}

export const rateMap: ResourceQueryMap = {
  table: 'applied_customer_billing_rate',
  columns: {
    id: { column: 'id', type: 'text' },
    externalId: { column: 'external_id', type: 'text', nullable: true },
    'billingAccount.id': { column: 'billing_account_id', type: 'text' },
    isBilled: { column: 'is_billed', type: 'bool' },
    'bill.id': { column: 'bill_id', type: 'text', nullable: true },
    date: { column: 'date', type: 'time' },
    type: { column: 'type', type: 'text', nullable: true },
    'product.id': { column: 'product_id', type: 'text', nullable: true },
    'taxExcludedAmount.value': { column: 'tax_excluded_amount', type: 'money' },
    'taxExcludedAmount.unit': { column: 'currency', type: 'text' }
  },
  arrays: ['appliedTax', 'characteristic'],
  defaultSort: []
}

export const onDemandMap: ResourceQueryMap = {
  table: 'customer_bill_on_demand',
  columns: {
    id: { column: 'id', type: 'text' },
    'billingAccount.id': { column: 'billing_account_id', type: 'text', nullable: true },
    state: { column: 'state', type: 'text' },
    'customerBill.id': { column: 'customer_bill_id', type: 'text', nullable: true },
    lastUpdate: { column: 'last_update', type: 'time' }
  },
  arrays: [],
  defaultSort: []
}

export const paymentMap: ResourceQueryMap = {
  table: 'payment',
  columns: {
    id: { column: 'id', type: 'text' },
    externalId: { column: 'external_id', type: 'text', nullable: true },
    'account.id': { column: 'billing_account_id', type: 'text' },
    'totalAmount.value': { column: 'amount', type: 'money' },
    'totalAmount.unit': { column: 'currency', type: 'text' }
  },
  arrays: ['paymentItem'],
  defaultSort: []
}

export interface ListPage<T> { items: T[]; total: number; offset: number; limit: number }

/**
 * One page of a resource list and the total number of matches, both computed by the database with the
 * same WHERE; only the page's rows are read. Ids are time-ordered, so the default order is creation order.
 * A page that is not full ends the matches, so its offset and length are the total: `count(*)` (which
 * reads every match) runs only when the page is full, or empty past the first page.
 */
async function listFrom<T> (store: Store, table: keyof Database & string, map: ResourceQueryMap, q: ListQuery,
  toRecord: (row: any) => T): Promise<ListPage<T>> {
  const limit = q.limit ?? 1000
  const dialect = store.dialect.name
  const count = async () => {
    const counted = applyFilters(store.db.selectFrom(table as 'customer_bill').select(sql<number>`count(*)`.as('n')), q.filters, map, dialect)
    return Number((await counted.executeTakeFirstOrThrow()).n)
  }
  try {
    if (limit === 0) return { items: [], total: await count(), offset: q.offset, limit }
    const rows = await applySort(applyFilters(store.db.selectFrom(table as 'customer_bill').selectAll(), q.filters, map, dialect),
      q.sort, map, dialect).limit(limit).offset(q.offset).execute()
    const known = rows.length < limit && (rows.length > 0 || q.offset === 0)
    return { items: rows.map(toRecord), total: known ? q.offset + rows.length : await count(), offset: q.offset, limit }
  } catch (err) {
    throw asQueryError(err)
  }
}

export function listCustomerBills (store: Store, q: ListQuery): Promise<ListPage<BillRecord>> {
  return listFrom(store, 'customer_bill', customerBillMap, q, billRecordFromRow)
}

export function listRates (store: Store, q: ListQuery): Promise<ListPage<RateRecord>> {
  return listFrom(store, 'applied_customer_billing_rate', rateMap, q, rateRecordFromRow)
}

export function listOnDemand (store: Store, q: ListQuery): Promise<ListPage<OnDemandRecord>> {
  return listFrom(store, 'customer_bill_on_demand', onDemandMap, q, onDemandRecordFromRow)
}

export function listPayments (store: Store, q: ListQuery): Promise<ListPage<PaymentRecord>> {
  return listFrom(store, 'payment', paymentMap, q, paymentRecordFromRow)
}
