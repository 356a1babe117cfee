import { sql } from 'kysely'
import type { RateRecord } from '../domain/records.ts'
import { type Db, isPostgres, readJson, reusableQuery, writeJson } from './database.ts'
import type { RateRow } from './types.ts'

export type NewRate = Omit<RateRecord, 'isBilled' | 'billId'>

function toRecord (row: RateRow): RateRecord {
  return {
    id: row.id,
    externalId: row.external_id,
    billingAccountId: row.billing_account_id,
    isBilled: row.is_billed === 1,
    billId: row.bill_id,
    currency: row.currency,
    taxExcludedAmount: String(row.tax_excluded_amount),
    date: row.date,
    type: row.type,
    productId: row.product_id,
    createdAt: row.created_at,
    body: readJson(row.body)
  }
}

export function rateRowFromRecord (r: RateRecord): RateRow {
  return {
    id: r.id,
    external_id: r.externalId,
    billing_account_id: r.billingAccountId,
    is_billed: r.isBilled ? 1 : 0,
    bill_id: r.billId,
    currency: r.currency,
    tax_excluded_amount: r.taxExcludedAmount,
    date: r.date,
    type: r.type,
    product_id: r.productId,
    created_at: r.createdAt,
    body: writeJson(r.body)
  }
}

/**
 * Inserts rates; a rate whose `externalId` is already stored is skipped (idempotent re-import), and so is the
 * second of two rates of one call with the same `externalId`. Returns the ids actually inserted.
 */
export async function insertRates (db: Db, rates: NewRate[]): Promise<Set<string>> {
  if (rates.length === 0) return new Set()
  return isPostgres(db) ? insertRatesPostgres(db, rates) : insertRatesSqlite(db, rates)
}

/** The stored columns of a new rate, in the order of `rateValues`. */
const RATE_COLUMNS = ['id', 'external_id', 'billing_account_id', 'is_billed', 'bill_id', 'currency',
  'tax_excluded_amount', 'date', 'type', 'product_id', 'created_at', 'body'] as const

function rateValues (r: NewRate): unknown[] {
  return [r.id, r.externalId, r.billingAccountId, 0, null, r.currency, r.taxExcludedAmount, r.date, r.type,
    r.productId, r.createdAt, writeJson(r.body)]
}

// NOTE: on SQLite, one prepared single-row INSERT per rate (the statement cache keeps it prepared) costs about
// what SQLite itself needs; a 1,000-row INSERT … RETURNING cost as much again in kysely's compiling of its
// 12,000 values. Kysely compiles the statement with each column's name as its value, which also tells the
// order its parameters take; `changes` says whether the row went in.
const sqliteRateInsert = reusableQuery((db) => {
  const probe = Object.fromEntries(RATE_COLUMNS.map((c) => [c, c])) as unknown as RateRow
  const query = db.insertInto('applied_customer_billing_rate').values(probe).onConflict((oc) => oc.column('external_id').doNothing())
  return {
    compile: () => {
      const compiled = query.compile()
      if (compiled.parameters.join() !== RATE_COLUMNS.join()) throw new Error(`unexpected rate insert: ${compiled.sql}`)
      return compiled
    }
  }
})

async function insertRatesSqlite (db: Db, rates: NewRate[]): Promise<Set<string>> {
  const inserted = new Set<string>()
  for (const r of rates) {
    const result = await db.executeQuery(sqliteRateInsert(db, rateValues(r)))
    if (result.numAffectedRows === 1n) inserted.add(r.id)
  }
  return inserted
}

// NOTE: on PostgreSQL, one statement per call with one array parameter per column (unnest), rather than a
// multi-row VALUES list of 12 parameters per rate: one round trip, and nothing that grows with the batch to
// compile on either side.
async function insertRatesPostgres (db: Db, rates: NewRate[]): Promise<Set<string>> {
  const columns: unknown[][] = RATE_COLUMNS.map(() => new Array<unknown>(rates.length))
  for (const [i, r] of rates.entries()) {
    const values = rateValues(r)
    for (let c = 0; c < values.length; c++) (columns[c] as unknown[])[i] = values[c]
  }
  const [id, externalId, accountId, , , currency, amount, date, type, productId, createdAt, body] = columns
  const { rows } = await sql<{ id: string }>`insert into applied_customer_billing_rate
    (id, external_id, billing_account_id, is_billed, bill_id, currency, tax_excluded_amount, date, type, product_id, created_at, body)
    select r.id, r.external_id, r.billing_account_id, 0, null, r.currency, r.tax_excluded_amount, r.date, r.type, r.product_id, r.created_at, r.body
    from unnest(${id}::text[], ${externalId}::text[], ${accountId}::text[], ${currency}::text[], ${amount}::numeric[],
      ${date}::timestamptz[], ${type}::text[], ${productId}::text[], ${createdAt}::timestamptz[], ${body}::jsonb[])
      as r(id, external_id, billing_account_id, currency, tax_excluded_amount, date, type, product_id, created_at, body)
    on conflict (external_id) do nothing
    returning id`.execute(db)
  return new Set(rows.map((r) => r.id))
}

export async function findRate (db: Db, id: string): Promise<RateRecord | undefined> {
  const row = await db.selectFrom('applied_customer_billing_rate').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function findRatesByExternalId (db: Db, externalIds: string[]): Promise<RateRecord[]> {
  if (externalIds.length === 0) return []
  const rows = await db.selectFrom('applied_customer_billing_rate').selectAll().where('external_id', 'in', externalIds).execute()
  return rows.map(toRecord)
}

/**
 * The unbilled rates of one account dated before `before`, oldest first. With `lock` (PostgreSQL) the rows
 * are locked until the transaction ends, so a concurrent bill run in another process waits and then sees
 * them billed.
 */
export async function findUnbilledRates (db: Db, accountId: string, before: string, lock: boolean): Promise<RateRecord[]> {
  return (await findUnbilledRatesOfAccounts(db, [accountId], before, lock)).get(accountId) ?? []
}

/**
 * The unbilled rates dated before `before` of several accounts (a bill run's batch) in one statement, per
 * account, oldest first. With `lock` the rows are locked in (account, date, id) order, the order every bill
 * run and on-demand bill takes them in, so two of them meeting on the same accounts wait rather than deadlock.
 */
export async function findUnbilledRatesOfAccounts (db: Db, accountIds: string[], before: string, lock: boolean): Promise<Map<string, RateRecord[]>> {
  const byAccount = new Map<string, RateRecord[]>()
  if (accountIds.length === 0) return byAccount
  // NOTE: `is_billed = 0` as a literal lets both stores read the partial index acbr_unbilled (migration 0002).
  let q = db.selectFrom('applied_customer_billing_rate').selectAll()
    .where('billing_account_id', 'in', accountIds)
    .where('is_billed', '=', sql.lit(0))
    .where('date', '<', before)
    .orderBy('billing_account_id').orderBy('date').orderBy('id')
  if (lock) q = q.forUpdate()
  for (const row of await q.execute()) {
    const rates = byAccount.get(row.billing_account_id)
    if (rates) rates.push(toRecord(row))
    else byAccount.set(row.billing_account_id, [toRecord(row)])
  }
  return byAccount
}

export interface AccountWithUnbilledRates { accountId: string; oldestUnbilled: string }

/**
 * Accounts that have something to bill before `before`, in id order, from `afterId` on (keyset paging), each
 * with the date of its oldest unbilled rate (the first index entry of the account: it costs nothing more).
 */
export async function findAccountsWithUnbilledRates (db: Db, before: string, afterId: string | null, limit: number): Promise<AccountWithUnbilledRates[]> {
  // NOTE: `is_billed = 0` as a literal lets both stores use the partial index acbr_unbilled (migration 0002),
  // which holds only unbilled rates: the scan walks it in account order from `afterId` and stops after `limit`
  // accounts. Read through (is_billed, id) instead, every page would collect and sort every unbilled rate.
  let q = db.selectFrom('applied_customer_billing_rate')
    .select((eb) => ['billing_account_id', eb.fn.min('date').as('oldest')])
    .where('is_billed', '=', sql.lit(0)).where('date', '<', before)
  if (afterId !== null) q = q.where('billing_account_id', '>', afterId)
  const rows = await q.groupBy('billing_account_id').orderBy('billing_account_id').limit(limit).execute()
  return rows.map((r) => ({ accountId: r.billing_account_id, oldestUnbilled: String(r.oldest) }))
}

export async function markRatesBilled (db: Db, rateIds: string[], billId: string): Promise<number> {
  let updated = 0
  // NOTE: chunks keep the statement under SQLite's bound-parameter limit for accounts with many rates.
  for (let i = 0; i < rateIds.length; i += 500) {
    const chunk = rateIds.slice(i, i + 500)
    const res = await db.updateTable('applied_customer_billing_rate')
      .set({ is_billed: 1, bill_id: billId })
      .where('id', 'in', chunk).where('is_billed', '=', 0)
      .executeTakeFirst()
    updated += Number(res.numUpdatedRows)
  }
  return updated
}

/**
 * Marks the rates of several bills billed (a bill run's batch); returns how many rates changed, fewer than
 * given if some were billed meanwhile. PostgreSQL gets one statement for them all: a round trip per bill was
 * most of a batch's time there. SQLite, in process, runs one statement per bill.
 */
export async function markRatesBilledByBill (db: Db, bills: { billId: string; rateIds: string[] }[]): Promise<number> {
  if (!isPostgres(db)) {
    let updated = 0
    for (const { billId, rateIds } of bills) updated += await markRatesBilled(db, rateIds, billId)
    return updated
  }
  const rateIds = bills.flatMap((b) => b.rateIds)
  if (rateIds.length === 0) return 0
  const billIds = bills.flatMap((b) => b.rateIds.map(() => b.billId))
  const result = await sql`update applied_customer_billing_rate as r set is_billed = 1, bill_id = v.bill_id
    from unnest(${rateIds}::text[], ${billIds}::text[]) as v(id, bill_id)
    where r.id = v.id and r.is_billed = 0`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

export async function findRatesOfBill (db: Db, billId: string): Promise<RateRecord[]> {
  const rows = await db.selectFrom('applied_customer_billing_rate').selectAll().where('bill_id', '=', billId)
    .orderBy('date').orderBy('id').execute()
  return rows.map(toRecord)
}

export async function countRates (db: Db): Promise<{ total: number; unbilled: number }> {
  const row = await db.selectFrom('applied_customer_billing_rate')
    .select([sql<number>`count(*)`.as('total'), sql<number>`coalesce(sum(1 - is_billed), 0)`.as('unbilled')])
    .executeTakeFirstOrThrow()
  return { total: Number(row.total), unbilled: Number(row.unbilled) }
}

export { toRecord as rateRecordFromRow }

/** How many accounts have unbilled rates dated before `before`: the size of a bill run, for its progress bar. */
export async function countAccountsWithUnbilledRates (db: Db, before: string): Promise<number> {
  const row = await db.selectFrom('applied_customer_billing_rate')
    .select(sql<number>`count(distinct billing_account_id)`.as('n'))
    .where('is_billed', '=', sql.lit(0)).where('date', '<', before)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
