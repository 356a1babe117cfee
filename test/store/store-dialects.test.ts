import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import type { BillingOptions } from '../../src/domain/bill-account.ts'
import { billAccount } from '../../src/domain/bill-account.ts'
import { newId } from '../../src/domain/ids.ts'
import type { BillRecord } from '../../src/domain/records.ts'
import { ensureAccounts } from '../../src/store/accounts.ts'
import { insertBills } from '../../src/store/bills.ts'
import { findBillDocument, insertBillDocuments, saveRenderedDocument } from '../../src/store/documents.ts'
import { acquireLease, releaseLease } from '../../src/store/leases.ts'
import { countRates, findAccountsWithUnbilledRates, findRate, findUnbilledRates, insertRates, type NewRate } from '../../src/store/rates.ts'
import { nextSequenceValues } from '../../src/store/sequences.ts'
import { openStore } from '../../src/store/database.ts'
import { openTestStore, storeKinds, TEST_DATABASE_URL } from '../helpers/stores.ts'

/**
 * The repository functions whose behaviour several processes rely on, run against every store kind: both
 * dialects must give the same answers, and PostgreSQL must give them under real concurrency.
 */

type TestStore = Awaited<ReturnType<typeof openTestStore>>

function rate (overrides: Partial<NewRate> & { billingAccountId: string }): NewRate {
  return {
    id: newId(),
    externalId: null,
    currency: 'EUR',
    taxExcludedAmount: '10.00',
    date: '2026-10-05T10:00:00.000Z',
    type: 'usageCharge',
    productId: null,
    createdAt: '2026-11-01T00:00:00.000Z',
    body: { name: 'Roaming data', appliedTax: [] },
    ...overrides
  }
}

function cycleBill (accountId: string, currency: string, runType = 'onCycle'): BillRecord {
  const id = newId()
  return {
    id,
    billNo: `T-${id}`,
    billingAccountId: accountId,
    state: 'new',
    runType,
    category: 'normal',
    currency,
    billDate: '2026-11-01T00:00:00.000Z',
    periodStart: '2026-10-01T00:00:00.000Z',
    periodEnd: '2026-11-01T00:00:00.000Z',
    paymentDueDate: '2026-12-01T00:00:00.000Z',
    amountDue: '12.00',
    remainingAmount: '12.00',
    onDemandId: null,
    lastUpdate: '2026-11-01T00:00:00.000Z',
    body: {}
  }
}

const billing: BillingOptions = {
  rounding: 'halfUp', billNumberPrefix: 'INV-', defaultPaymentTermsDays: 30, baseUrl: 'http://localhost', lockRows: false
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const kind of await storeKinds()) {
  describe(`store on ${kind}`, () => {
    let store: TestStore
    before(async () => { store = await openTestStore(kind) })
    after(async () => { await store.dispose() })

    test('a rate reads back exactly as written: decimal text, ISO UTC time, JSON body, unbilled', async () => {
      const r = rate({ billingAccountId: 'ACC-T', taxExcludedAmount: '123456789012.345678', date: '2026-10-05T10:00:00.123Z',
        body: { name: 'ünïcode ✓', nested: { list: [1, 'two', null] } } })
      await insertRates(store.db, [r])
      const back = await findRate(store.db, r.id)
      assert.ok(back)
      assert.equal(back.taxExcludedAmount, '123456789012.345678')
      assert.equal(back.date, '2026-10-05T10:00:00.123Z')
      assert.equal(back.createdAt, '2026-11-01T00:00:00.000Z')
      assert.deepEqual(back.body, { name: 'ünïcode ✓', nested: { list: [1, 'two', null] } })
      assert.equal(back.isBilled, false)
      assert.equal(back.billId, null)
    })

    test('insertRates skips an externalId already stored, or repeated within the batch', async () => {
      const first = [rate({ billingAccountId: 'ACC-I', externalId: 'ext-1' }), rate({ billingAccountId: 'ACC-I', externalId: 'ext-2' }),
        rate({ billingAccountId: 'ACC-I' })]
      const inserted = await insertRates(store.db, first)
      assert.deepEqual([...inserted].sort(), first.map((r) => r.id).sort())

      const again = [rate({ billingAccountId: 'ACC-I', externalId: 'ext-1', taxExcludedAmount: '99.00' }),
        rate({ billingAccountId: 'ACC-I', externalId: 'ext-3' }), rate({ billingAccountId: 'ACC-I', externalId: 'ext-3' }),
        rate({ billingAccountId: 'ACC-I' })]
      const second = await insertRates(store.db, again)
      assert.equal(second.size, 2, 'ext-3 once and the rate without externalId')
      assert.ok(!second.has(again[0]?.id ?? ''), 'a known externalId is not stored again')
      const unbilled = await findUnbilledRates(store.db, 'ACC-I', '2027-01-01T00:00:00.000Z', false)
      assert.equal(unbilled.length, 5)
      assert.ok(unbilled.every((r) => r.taxExcludedAmount === '10.00'), 'the first version of ext-1 is kept')
    })

    test('concurrent importers of the same externalIds store each rate once', async () => {
      const batch = (n: number) => Array.from({ length: 50 }, (_, i) => rate({ billingAccountId: `ACC-C${n}`, externalId: `conc-${i}` }))
      const results = await Promise.all([1, 2, 3, 4].map((n) => store.transaction((trx) => insertRates(trx, batch(n)))))
      assert.equal(results.reduce((n, s) => n + s.size, 0), 50)
    })

    test('nextSequenceValues is gap-free: concurrent takers get distinct numbers and a rollback gives its number back', async () => {
      const committed: number[] = []
      const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => store.transaction(async (trx) => {
        const value = await nextSequenceValues(trx, 'test_no', 1)
        await sleep(i % 4)
        if (i % 3 === 0) throw new Error('rolled back on purpose')
        committed.push(value)
      })))
      assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 8)
      assert.deepEqual(committed.sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i + 1))
      assert.equal(await store.transaction((trx) => nextSequenceValues(trx, 'test_no', 1)), 17)
      assert.equal(await store.transaction((trx) => nextSequenceValues(trx, 'other_no', 1)), 1, 'each name counts on its own')
    })

    test('nextSequenceValues takes a block of consecutive numbers: the first of a new counter is 1', async () => {
      assert.equal(await store.transaction((trx) => nextSequenceValues(trx, 'block_no', 5)), 1)
      assert.equal(await store.transaction((trx) => nextSequenceValues(trx, 'block_no', 1)), 6)
      assert.equal(await store.transaction((trx) => nextSequenceValues(trx, 'block_no', 3)), 7)
      assert.equal(await store.transaction((trx) => nextSequenceValues(trx, 'block_no', 1)), 10)
    })

    test('one on-cycle bill per account, period and currency; off-cycle bills and other currencies are not limited', async () => {
      await insertBills(store.db, [cycleBill('ACC-U', 'EUR')])
      await assert.rejects(insertBills(store.db, [cycleBill('ACC-U', 'EUR')]), /unique|duplicate/i)
      await insertBills(store.db, [cycleBill('ACC-U', 'USD')])
      await insertBills(store.db, [cycleBill('ACC-U', 'EUR', 'offCycle')])
      await insertBills(store.db, [cycleBill('ACC-U', 'EUR', 'offCycle')])
      const n = await store.db.selectFrom('customer_bill').select((eb) => eb.fn.countAll().as('n'))
        .where('billing_account_id', '=', 'ACC-U').executeTakeFirstOrThrow()
      assert.equal(Number(n.n), 4)
    })

    test('two bill runs billing one account at the same time produce one bill per currency and bill each rate once', async () => {
      const rates = [...Array.from({ length: 30 }, () => rate({ billingAccountId: 'ACC-R' })),
        ...Array.from({ length: 20 }, () => rate({ billingAccountId: 'ACC-R', currency: 'USD', taxExcludedAmount: '2.50' }))]
      await ensureAccounts(store.db, [{ id: 'ACC-R', name: null, billCycleDay: 1, paymentTermsDays: 30, createdAt: '2026-11-01T00:00:00.000Z' }])
      await insertRates(store.db, rates)
      const opts = { ...billing, lockRows: store.dialect.supportsSkipLocked }
      const input = {
        accountId: 'ACC-R',
        ratesBefore: new Date('2026-11-01T00:00:00Z'),
        period: { start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') },
        billDate: new Date('2026-11-01T00:00:00Z'),
        runType: 'onCycle' as const
      }
      const runs = await Promise.all([1, 2, 3].map(() => store.transaction((trx) => billAccount(trx, input, opts))))
      const produced = runs.flat()
      assert.deepEqual(produced.map((p) => [p.bill.currency, p.rateCount]).sort(), [['EUR', 30], ['USD', 20]])
      const bills = await store.db.selectFrom('customer_bill').select(['id', 'amount_due', 'currency'])
        .where('billing_account_id', '=', 'ACC-R').orderBy('currency').execute()
      assert.deepEqual(bills.map((b) => [b.currency, String(b.amount_due)]), [['EUR', '300'], ['USD', '50']])
      const billed = await store.db.selectFrom('applied_customer_billing_rate').select(['bill_id', 'is_billed'])
        .where('billing_account_id', '=', 'ACC-R').execute()
      assert.ok(billed.every((r) => r.is_billed === 1 && bills.some((b) => b.id === r.bill_id)))
    })

    test('the bill run\'s account scan pages accounts in id order, each with its oldest unbilled rate', async () => {
      await insertRates(store.db, [
        rate({ billingAccountId: 'SCAN-2', date: '2026-10-20T08:00:00.000Z' }), rate({ billingAccountId: 'SCAN-2', date: '2026-10-03T07:30:00.000Z' }),
        rate({ billingAccountId: 'SCAN-1', date: '2026-11-15T00:00:00.000Z' }), rate({ billingAccountId: 'SCAN-3', date: '2026-12-01T00:00:00.000Z' })
      ])
      const scan = (after: string | null, limit: number) => findAccountsWithUnbilledRates(store.db, '2026-12-01T00:00:00.000Z', after, limit)
      const all = (await scan('SCAN-0', 10)).filter((a) => a.accountId.startsWith('SCAN-'))
      assert.deepEqual(all, [
        { accountId: 'SCAN-1', oldestUnbilled: '2026-11-15T00:00:00.000Z' },
        { accountId: 'SCAN-2', oldestUnbilled: '2026-10-03T07:30:00.000Z' }
      ], 'SCAN-3 has nothing before the 1st of December')
      assert.deepEqual((await scan('SCAN-1', 1)).map((a) => a.accountId), ['SCAN-2'])
    })

    test('countRates counts billed and unbilled rates as numbers', async () => {
      const counts = await countRates(store.db)
      assert.equal(typeof counts.total, 'number')
      assert.equal(counts.total - counts.unbilled, 50, 'the 50 rates of ACC-R are the only billed ones')
    })

    test('a bill document stores PDF bytes unchanged and is rendered once', async () => {
      const bill = cycleBill('ACC-D', 'EUR')
      await insertBills(store.db, [bill])
      const documentId = newId()
      await insertBillDocuments(store.db, [{ id: documentId, billId: bill.id, mimeType: 'application/pdf' }])
      const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x00, 0xff, 0x80, 0x0a, 0x7f])
      assert.equal(await saveRenderedDocument(store.db, documentId, pdf, '2026-11-01T00:00:00.000Z'), true)
      assert.equal(await saveRenderedDocument(store.db, documentId, Buffer.from('other'), '2026-11-01T00:00:01.000Z'), false)
      const doc = await findBillDocument(store.db, documentId)
      assert.ok(doc?.content)
      assert.deepEqual([...doc.content], [...pdf])
    })

    test('a lease has one holder until it expires or is released', async () => {
      const t0 = new Date('2026-11-01T00:00:00Z')
      const at = (s: number) => new Date(t0.getTime() + s * 1000)
      assert.equal(await acquireLease(store.db, 'job', 'node-a', at(0), at(60)), true)
      assert.equal(await acquireLease(store.db, 'job', 'node-b', at(10), at(70)), false)
      assert.equal(await acquireLease(store.db, 'job', 'node-a', at(30), at(90)), true, 'the holder renews')
      assert.equal(await acquireLease(store.db, 'job', 'node-b', at(80), at(140)), false, 'renewed: not expired at 80 s')
      assert.equal(await acquireLease(store.db, 'job', 'node-b', at(91), at(151)), true, 'expired: another node takes it')
      assert.equal(await acquireLease(store.db, 'job', 'node-a', at(92), at(152)), false)
      await releaseLease(store.db, 'job', 'node-a')
      assert.equal(await acquireLease(store.db, 'job', 'node-a', at(93), at(153)), false, 'only the holder can release')
      await releaseLease(store.db, 'job', 'node-b')
      assert.equal(await acquireLease(store.db, 'job', 'node-a', at(94), at(154)), true, 'released: free at once')
    })

    test('nodes racing for a free lease: exactly one gets it', async () => {
      const now = new Date('2026-11-01T00:00:00Z')
      const until = new Date('2026-11-01T00:01:00Z')
      const won = await Promise.all(Array.from({ length: 8 }, (_, i) => acquireLease(store.db, 'race', `node-${i}`, now, until)))
      assert.equal(won.filter(Boolean).length, 1)
    })
  })
}

describe('PostgreSQL connections', { skip: !(await storeKinds()).includes('postgres') && 'PostgreSQL unreachable' }, () => {
  test('a pooled connection dropped by the server (restart, failover) is replaced, and the process lives on', async () => {
    const dropped: Error[] = []
    const store = await openStore(TEST_DATABASE_URL, { migrate: false, onConnectionError: (err) => dropped.push(err) })
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await admin.connect()
    try {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(store.db)
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid])
      for (let i = 0; i < 50 && dropped.length === 0; i++) await sleep(20)
      assert.equal(dropped.length, 1)
      const again = await sql<{ one: number }>`SELECT 1 AS one`.execute(store.db)
      assert.equal(again.rows[0]?.one, 1)
    } finally {
      await admin.end()
      await store.close()
    }
  })
})
