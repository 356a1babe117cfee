import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openStore, type Store } from '../../src/store/database.ts'
import { startTestServer } from '../helpers/server.ts'
import { runCli, scratchDir } from './cli-helpers.ts'

/**
 * `tmfbill import <file>` as a user runs it: NDJSON and CSV, a summary line, bad lines reported by number and
 * reason, exit code 2 when some lines were rejected (docs/import.md), nothing new on a second import.
 */

const good = (key: string, account: string, unit: string, value: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ externalId: key, date: '2026-01-05T10:00:00Z', billingAccount: { id: account }, taxExcludedAmount: { unit, value }, ...extra })

const NDJSON_LINES = [
  good('n1', 'N-1', 'EUR', '10.005'),
  good('n2', 'N-2', 'JPY', '100.6'),
  'not json',
  '',
  good('n5', 'N-1', 'EUR', '12,50'),
  good('n6', 'N-1', 'EUR', '1.00', { isBilled: true }),
  JSON.stringify({ externalId: 'n7', date: '2026-01-05T10:00:00Z', billingAccount: { id: 'N-1' }, taxExcludedAmout: { unit: 'EUR', value: '1' } }),
  good('n8', 'N-1', 'EURO', '1.00'),
  good('n9', 'N-1', 'EUR', '1.00', { colour: 'blue' }),
  good('n10', 'N-1', 'EUR', '2.00', { appliedTax: [{ taxCategory: 'VAT', taxRate: 0.1, taxAmount: { unit: 'EUR', value: '0.20' } }] }),
  '[1,2]'
]

/** The reason given for each bad line, by line number (blank line 4 is skipped, not counted). */
const NDJSON_REJECTS: [number, RegExp][] = [
  [3, /^malformed JSON/],
  [5, /^taxExcludedAmount\.value must be a decimal number such as "12\.50"/],
  [6, /^Attribute 'isBilled' is set by the server/],
  [7, /^Attribute 'taxExcludedAmount' is required$/],
  [8, /^taxExcludedAmount\.unit must be an active ISO 4217 currency code/],
  [9, /colour/],
  [11, /^line is not a JSON object$/]
]

const SUMMARY = /^read (\d+) lines in [\d.]+ s \([\d,∞]+ lines\/s\): (\d+) created, (\d+) already known, (\d+) rejected$/m

function summary (stdout: string): { read: number; created: number; duplicates: number; rejected: number } {
  const m = SUMMARY.exec(stdout)
  assert.ok(m, `summary line in:\n${stdout}`)
  return { read: Number(m[1]), created: Number(m[2]), duplicates: Number(m[3]), rejected: Number(m[4]) }
}

function reportedErrors (stdout: string): { line: number; reason: string }[] {
  return [...stdout.matchAll(/^ {2}line (\d+): (.*)$/gm)].map((m) => ({ line: Number(m[1]), reason: m[2] ?? '' }))
}

describe('tmfbill import', () => {
  const scratch = scratchDir('import')
  const ndjson = join(scratch.dir, 'rates.ndjson')
  const csv = join(scratch.dir, 'rates.csv')
  const env = (name: string) => ({ DATABASE_URL: `sqlite:${join(scratch.dir, name)}` })
  let cliErrors: { line: number; reason: string }[] = []

  before(() => {
    writeFileSync(ndjson, NDJSON_LINES.join('\n') + '\n')
    writeFileSync(csv, [
      'externalId,billingAccountId,billingAccountName,date,amount,currency,taxCategory,taxRate,taxAmount,type,productId,productName,name',
      'c1,C-1,Csv One,2026-01-05T10:00:00Z,19.99,EUR,,,,recurringCharge,P1,Plan S,Monthly fee',
      'c2,C-1,Csv One,2026-01-06T10:00:00Z,5.00,EUR,VAT,0.1,0.50,usageCharge,,,Usage',
      'c3,C-2,,2026-01-07T10:00:00Z,1000,JPY,,,,,,,',
      'c4,,,2026-01-07T10:00:00Z,1,EUR,,,,,,,',
      'c5,C-2,,yesterday,1,EUR,,,,,,,',
      'c6,C-2,"Second, Ltd",2026-01-08T10:00:00Z,2.5,EUR,,,,,,,"Fee, with a comma"'
    ].join('\n') + '\n')
  })
  after(() => scratch.cleanup())

  test('NDJSON: valid lines are stored, each bad line is reported with its number and reason, exit code 2', async () => {
    const run = await runCli(['import', ndjson], env('ndjson.db'))
    assert.equal(run.code, 2, run.stderr)
    assert.deepEqual(summary(run.stdout), { read: 10, created: 3, duplicates: 0, rejected: 7 })
    cliErrors = reportedErrors(run.stdout)
    assert.deepEqual(cliErrors.map((e) => e.line), NDJSON_REJECTS.map(([line]) => line))
    for (const [i, [line, reason]] of NDJSON_REJECTS.entries()) assert.match(cliErrors[i]?.reason ?? '', reason, `line ${line}`)
  })

  test('importing the same file again creates nothing new', async () => {
    const run = await runCli(['import', ndjson], env('ndjson.db'))
    assert.equal(run.code, 2)
    assert.deepEqual(summary(run.stdout), { read: 10, created: 0, duplicates: 3, rejected: 7 })
    const store = await openStore(`sqlite:${join(scratch.dir, 'ndjson.db')}`)
    try {
      const rows = await store.db.selectFrom('applied_customer_billing_rate').select(['external_id', 'tax_excluded_amount']).orderBy('external_id').execute()
      assert.deepEqual(rows.map((r) => [r.external_id, r.tax_excluded_amount]), [['n1', '10.005'], ['n10', '2'], ['n2', '100.6']])
    } finally {
      await store.close()
    }
  })

  test('the same NDJSON POSTed to the API as application/x-ndjson gives the same summary', async () => {
    const server = await startTestServer('sqlite', { jobs: false })
    try {
      const res = await fetch(`${server.api}/appliedCustomerBillingRate`, {
        method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: readFileSync(ndjson)
      })
      assert.equal(res.status, 200)
      const body = await res.json() as { read: number; created: number; duplicates: number; rejected: number; errors: { line: number; reason: string }[] }
      assert.deepEqual({ read: body.read, created: body.created, duplicates: body.duplicates, rejected: body.rejected },
        { read: 10, created: 3, duplicates: 0, rejected: 7 })
      assert.deepEqual(body.errors, cliErrors)
    } finally {
      await server.close()
    }
  })

  test('CSV: columns per docs/import.md, quoted fields, line numbers counting the header; then a CLI bill run bills it', async () => {
    const run = await runCli(['import', csv], env('csv.db'))
    assert.equal(run.code, 2, run.stderr)
    assert.deepEqual(summary(run.stdout), { read: 6, created: 4, duplicates: 0, rejected: 2 })
    assert.deepEqual(reportedErrors(run.stdout), [
      { line: 5, reason: "Attribute 'billingAccount.id' is required" },
      { line: 6, reason: "Attribute 'date' must be an RFC 3339 date-time, e.g. 2026-11-01T00:00:00Z" }
    ])

    const billed = await runCli(['bill-run', '--as-of', '2026-02-01T00:00:00Z'], env('csv.db'))
    assert.equal(billed.code, 0, billed.stderr)
    assert.match(billed.stdout, /^bill run as of 2026-02-01T00:00:00\.000Z: 3 bills for 2 accounts, 4 rates, in [\d.]+ s \([\d,∞]+ accounts\/s, [\d,∞]+ rates\/s\)$/m)

    let store: Store | undefined
    try {
      store = await openStore(`sqlite:${join(scratch.dir, 'csv.db')}`)
      const bills = await store.db.selectFrom('customer_bill').select(['billing_account_id', 'currency', 'body']).orderBy('bill_no').execute()
      const shown = bills.map((b) => {
        const body = JSON.parse(b.body as string)
        return [b.billing_account_id, body.taxExcludedAmount.value, body.taxItem.map((t: any) => [t.taxRate, t.taxAmount.value]), body.amountDue.value, body.billingAccount.name]
      })
      // C-1: 19.99 at the default 20 % (3.998) and 5.00 with its own 10 % tax of 0.50, as given in the file.
      // C-2 has a bill per currency; its rates are read oldest first, so the JPY bill is numbered first.
      assert.deepEqual(shown, [
        ['C-1', 24.99, [[0.1, 0.5], [0.2, 4]], 29.49, 'Csv One'],
        ['C-2', 1000, [[0.2, 200]], 1200, 'Second, Ltd'],
        ['C-2', 2.5, [[0.2, 0.5]], 3, 'Second, Ltd']
      ])
    } finally {
      await store?.close()
    }
  })

  test('a clean file exits 0; a missing file or an unknown format exits 1 with one line of explanation', async () => {
    const clean = join(scratch.dir, 'clean.ndjson')
    writeFileSync(clean, `${good('k1', 'K-1', 'EUR', '1')}\n${good('k2', 'K-1', 'EUR', '2')}\n`)
    const ok = await runCli(['import', clean], env('clean.db'))
    assert.equal(ok.code, 0)
    assert.deepEqual(summary(ok.stdout), { read: 2, created: 2, duplicates: 0, rejected: 0 })

    const missing = await runCli(['import', join(scratch.dir, 'nope.ndjson')], env('clean.db'))
    assert.equal(missing.code, 1)
    assert.match(missing.stderr.trim(), /^no such file: .*nope\.ndjson$/)

    const format = await runCli(['import', clean, '--format', 'xml'], env('clean.db'))
    assert.equal(format.code, 1)
    assert.match(format.stderr.trim(), /^unknown format 'xml': use ndjson or csv$/)
  })
})
