import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openStore } from '../../src/store/database.ts'
import { runCli, scratchDir } from './cli-helpers.ts'

/** `tmfbill account set|show`: an account's bill cycle day and payment terms, used by the next bill run. */

describe('tmfbill account', () => {
  const scratch = scratchDir('account')
  const env = { DATABASE_URL: `sqlite:${join(scratch.dir, 'accounts.db')}` }
  after(() => scratch.cleanup())

  test('set registers the account with its cycle; show prints it; out-of-range values are refused', async () => {
    const set = await runCli(['account', 'set', 'ACC-15', '--cycle-day', '15', '--payment-terms', '10', '--name', 'Fifteen GmbH'], env)
    assert.equal(set.code, 0, set.stderr)
    assert.equal(set.stdout.trim(), 'account ACC-15 (Fifteen GmbH): bill cycle day 15, payment terms 10 days')

    const show = await runCli(['account', 'show', 'ACC-15'], env)
    assert.equal(show.stdout.trim(), 'account ACC-15 (Fifteen GmbH): bill cycle day 15, payment terms 10 days')

    const bad = await runCli(['account', 'set', 'ACC-15', '--cycle-day', '29'], env)
    assert.equal(bad.code, 1)
    assert.equal(bad.stderr.trim(), 'error: The bill cycle day must be a whole number from 1 to 28, got 29')

    const nothing = await runCli(['account', 'set', 'ACC-15'], env)
    assert.equal(nothing.code, 1)
    assert.match(nothing.stderr, /nothing to set/)

    const unknown = await runCli(['account', 'show', 'NOBODY'], env)
    assert.equal(unknown.code, 1)
    assert.equal(unknown.stderr.trim(), 'no billing account NOBODY')
  })

  test('the bill run closes that account\'s period on its own day and dates the payment by its terms', async () => {
    const file = join(scratch.dir, 'rates.ndjson')
    const line = (key: string, account: string, date: string) =>
      JSON.stringify({ externalId: key, date, billingAccount: { id: account }, taxExcludedAmount: { unit: 'EUR', value: '1.00' } })
    writeFileSync(file, [
      line('a', 'ACC-15', '2026-02-14T23:59:59Z'),
      line('b', 'ACC-15', '2026-02-15T00:00:00Z'),
      line('c', 'ACC-1', '2026-02-14T12:00:00Z')
    ].join('\n'))
    assert.equal((await runCli(['import', file], env)).code, 0)

    const run = await runCli(['bill-run', '--as-of', '2026-03-01T06:00:00Z'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /: 2 bills for 2 accounts, 2 rates,/)

    const store = await openStore(env.DATABASE_URL)
    try {
      const bills = await store.db.selectFrom('customer_bill')
        .select(['billing_account_id', 'period_start', 'period_end', 'payment_due_date']).orderBy('billing_account_id').execute()
      assert.deepEqual(bills.map((b) => [b.billing_account_id, b.period_start, b.period_end, b.payment_due_date]), [
        ['ACC-1', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-03-31T06:00:00.000Z'],
        ['ACC-15', '2026-01-15T00:00:00.000Z', '2026-02-15T00:00:00.000Z', '2026-03-11T06:00:00.000Z']
      ])
      const open = await store.db.selectFrom('applied_customer_billing_rate').select('external_id').where('is_billed', '=', 0).execute()
      assert.deepEqual(open.map((r) => r.external_id), ['b'], 'the rate dated on the cycle day belongs to the next period')
    } finally {
      await store.close()
    }
  })
})
