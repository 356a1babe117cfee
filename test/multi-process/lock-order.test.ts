import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { sql } from 'kysely'
import { type BillingOptions, billAccount } from '../../src/domain/bill-account.ts'
import { runBillRun } from '../../src/domain/bill-run.ts'
import { systemClock } from '../../src/domain/clock.ts'
import { newId } from '../../src/domain/ids.ts'
import { ensureAccounts } from '../../src/store/accounts.ts'
import { insertRates } from '../../src/store/rates.ts'
import { openTestStore, postgresAvailable, TEST_DATABASE_URL } from '../helpers/stores.ts'

/**
 * Lock order on PostgreSQL, where a bill run and on-demand bills of other processes meet on the same rows.
 * Whoever takes a bill number holds its row lock until commit, so it must not wait for anything else meanwhile.
 * Here an on-demand bill locks an account's rates, the bill run takes a bill number for the account before it,
 * then the on-demand bill asks for a number while the run reaches the locked account: both must finish.
 */

const skip = process.env.TEST_POSTGRES === 'on' || await postgresAvailable() ? false : `PostgreSQL unreachable at ${TEST_DATABASE_URL}`

describe('billing lock order on PostgreSQL', { skip }, () => {
  let store: Awaited<ReturnType<typeof openTestStore>>
  before(async () => { store = await openTestStore('postgres') })
  after(async () => { await store?.dispose() })

  test('a bill run and an on-demand bill of an account further on both finish, each rate billed once', async () => {
    const billing: BillingOptions = { rounding: 'halfUp', billNumberPrefix: 'INV-', defaultPaymentTermsDays: 30, baseUrl: 'http://localhost', lockRows: true }
    const accounts = ['LO-1', 'LO-2', 'LO-3']
    await ensureAccounts(store.db, accounts.map((id) => ({ id, name: null, billCycleDay: 1, paymentTermsDays: 30, createdAt: '2026-10-01T00:00:00.000Z' })))
    await insertRates(store.db, accounts.flatMap((accountId) => [2, 3].map((day) => ({
      id: newId(), externalId: null, billingAccountId: accountId, currency: 'EUR', taxExcludedAmount: '1.00',
      date: `2026-10-0${day}T00:00:00.000Z`, type: null, productId: null, createdAt: '2026-10-01T00:00:00.000Z', body: {}
    }))))

    let onDemandHasRates!: () => void
    const ratesLocked = new Promise<void>((resolve) => { onDemandHasRates = resolve })
    const onDemand = store.transaction(async (trx) => {
      await sql`SELECT id FROM applied_customer_billing_rate WHERE billing_account_id = 'LO-2' FOR UPDATE`.execute(trx)
      onDemandHasRates()
      await new Promise((resolve) => setTimeout(resolve, 300)) // the run bills LO-1 and reaches LO-2 meanwhile
      return billAccount(trx, {
        accountId: 'LO-2', ratesBefore: new Date('2026-11-20T00:00:00Z'), period: { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-20T00:00:00Z') },
        billDate: new Date('2026-11-20T00:00:00Z'), runType: 'offCycle', onDemandId: 'od-1'
      }, billing)
    })
    await ratesLocked
    const run = runBillRun({ asOf: new Date('2026-11-02T00:00:00Z'), defaultCycleDay: 1 }, { store, clock: systemClock, billing })

    const [onDemandBills, result] = await Promise.all([onDemand, run])
    assert.deepEqual(onDemandBills.map((b) => b.rateCount), [2])
    assert.equal(result.failures.length, 0)
    assert.equal(result.bills, 2, 'LO-1 and LO-3; LO-2 was billed on demand')
    const rates = await store.db.selectFrom('applied_customer_billing_rate').select(['is_billed', 'bill_id']).execute()
    assert.ok(rates.every((r) => r.is_billed === 1 && r.bill_id !== null))
    const numbers = (await store.db.selectFrom('customer_bill').select('bill_no').orderBy('bill_no').execute()).map((b) => b.bill_no)
    assert.deepEqual(numbers, ['INV-00000001', 'INV-00000002', 'INV-00000003'])
  })
})
