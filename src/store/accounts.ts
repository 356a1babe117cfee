import type { AccountRecord } from '../domain/records.ts'
import type { Db } from './database.ts'
import type { BillingAccountRow } from './types.ts'

function toRecord (row: BillingAccountRow): AccountRecord {
  return {
    id: row.id,
    name: row.name,
    billCycleDay: row.bill_cycle_day,
    paymentTermsDays: row.payment_terms_days,
    createdAt: row.created_at
  }
}

/**
 * Registers accounts met for the first time with the default cycle; known accounts keep their settings. A
 * known account without a name takes the first name a later rate gives it.
 */
export async function ensureAccounts (db: Db, accounts: AccountRecord[]): Promise<void> {
  if (accounts.length === 0) return
  await db.insertInto('billing_account').values(accounts.map((a) => ({
    id: a.id,
    name: a.name,
    bill_cycle_day: a.billCycleDay,
    payment_terms_days: a.paymentTermsDays,
    created_at: a.createdAt
  }))).onConflict((oc) => oc.column('id').doUpdateSet({ name: (eb) => eb.ref('excluded.name') })
    .where('billing_account.name', 'is', null).where('excluded.name', 'is not', null)).execute()
}

export async function findAccount (db: Db, id: string): Promise<AccountRecord | undefined> {
  const row = await db.selectFrom('billing_account').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function findAccounts (db: Db, ids: string[]): Promise<Map<string, AccountRecord>> {
  const out = new Map<string, AccountRecord>()
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('billing_account').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute()
    for (const row of rows) out.set(row.id, toRecord(row))
  }
  return out
}

export async function updateAccountSettings (db: Db, id: string, settings: { billCycleDay?: number; paymentTermsDays?: number; name?: string }): Promise<void> {
  await db.updateTable('billing_account').set({
    ...(settings.billCycleDay !== undefined ? { bill_cycle_day: settings.billCycleDay } : {}),
    ...(settings.paymentTermsDays !== undefined ? { payment_terms_days: settings.paymentTermsDays } : {}),
    ...(settings.name !== undefined ? { name: settings.name } : {})
  }).where('id', '=', id).execute()
}
