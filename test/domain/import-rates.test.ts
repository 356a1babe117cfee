import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { importRates, type ImportLine } from '../../src/domain/import-rates.ts'
import { SeenAccounts } from '../../src/domain/ingest-rates.ts'
import { DEFAULT_TAX_CONFIG } from '../../src/domain/tax.ts'
import { findAccount } from '../../src/store/accounts.ts'
import { countRates } from '../../src/store/rates.ts'
import { openTestStore, storeKinds } from '../helpers/stores.ts'

type TestStore = Awaited<ReturnType<typeof openTestStore>>

async function * asLines (records: Record<string, unknown>[]): AsyncGenerator<ImportLine> {
  for (const [i, record] of records.entries()) yield { line: i + 1, record }
}

function rate (n: number, account: string, name?: string): Record<string, unknown> {
  return {
    externalId: `imp-${n}`,
    billingAccount: { id: account, ...(name !== undefined ? { name } : {}) },
    date: '2026-10-05T10:00:00Z',
    taxExcludedAmount: { unit: 'EUR', value: '10.00' }
  }
}

test('SeenAccounts: an account is registered again only to give it its first name; it forgets past its limit', () => {
  const seen = new SeenAccounts(3)
  assert.equal(seen.needs('A', null), true)
  seen.add([{ id: 'A', name: null, billCycleDay: 1, paymentTermsDays: 30, createdAt: '' },
    { id: 'B', name: 'Bee', billCycleDay: 1, paymentTermsDays: 30, createdAt: '' }])
  assert.equal(seen.needs('A', null), false)
  assert.equal(seen.needs('A', 'Ay'), true)
  assert.equal(seen.needs('B', 'Other'), false)
  seen.add([{ id: 'C', name: null, billCycleDay: 1, paymentTermsDays: 30, createdAt: '' },
    { id: 'D', name: null, billCycleDay: 1, paymentTermsDays: 30, createdAt: '' }])
  assert.equal(seen.needs('B', 'Other'), true, 'forgotten: registering again is harmless')
})

for (const kind of await storeKinds()) {
  describe(`import across batches on ${kind}`, () => {
    let store: TestStore
    before(async () => { store = await openTestStore(kind) })
    after(async () => { await store.dispose() })

    test('an account first met without a name takes the name a later batch gives it; a named one keeps its name', async () => {
      // 2,500 lines: three batches. ACC-N is unnamed in the first batch and named in the third; ACC-K keeps "First".
      const records = Array.from({ length: 2500 }, (_, i) => {
        if (i === 0) return rate(i, 'ACC-N')
        if (i === 1) return rate(i, 'ACC-K', 'First')
        if (i === 2200) return rate(i, 'ACC-N', 'Later')
        if (i === 2300) return rate(i, 'ACC-K', 'Second')
        return rate(i, `ACC-${i % 300}`)
      })
      const deps = {
        store, clock: { now: () => new Date('2026-11-01T00:00:00Z') }, taxConfig: DEFAULT_TAX_CONFIG,
        accountDefaults: { billCycleDay: 1, paymentTermsDays: 30 }
      }
      const first = await importRates(asLines(records), deps)
      assert.deepEqual([first.created, first.duplicates, first.rejected], [2500, 0, 0])
      assert.equal((await findAccount(store.db, 'ACC-N'))?.name, 'Later')
      assert.equal((await findAccount(store.db, 'ACC-K'))?.name, 'First')
      assert.ok(await findAccount(store.db, 'ACC-299'))

      const again = await importRates(asLines(records), deps)
      assert.deepEqual([again.created, again.duplicates], [0, 2500])
      assert.equal((await countRates(store.db)).total, 2500)
    })
  })
}
