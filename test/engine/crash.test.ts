import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { FakeClock } from '../../src/domain/clock.ts'
import { importRates, type ImportLine } from '../../src/domain/import-rates.ts'
import { DEFAULT_TAX_CONFIG } from '../../src/domain/tax.ts'
import { openStore } from '../../src/store/database.ts'
import { dropSchemaOf, freshDatabaseUrl, storeKinds, TEST_DATABASE_URL, type StoreKind } from '../helpers/stores.ts'
import { CLI, REPO_ROOT, runCli, scratchDir } from '../cli/cli-helpers.ts'
import { Decimal, MINOR, roundHalfUp } from './engine-helpers.ts'

/**
 * Exactly-once billing under a crash: `tmfbill bill-run` is killed with SIGKILL in the middle of a run and
 * started again. Afterwards every (account, period, currency) has exactly one bill, every rate is on exactly
 * one bill whose totals are the sum of its rates, bill numbers run 1..N without a gap, and each bill has one
 * document and one create event. Nothing here trusts the engine's own counters: it reads the database.
 */

const ACCOUNTS = 2000
const RATES_PER_ACCOUNT = 10
const AS_OF = '2026-03-01T06:00:00Z'

/** Deterministic charges: every account bills EUR; one in four also JPY, one in ten also KWD. */
function * charges (): Generator<ImportLine> {
  let line = 0
  for (let a = 0; a < ACCOUNTS; a++) {
    const account = `CR-${String(a).padStart(5, '0')}`
    for (let r = 0; r < RATES_PER_ACCOUNT; r++) {
      const currency = a % 4 === 0 && r < 3 ? 'JPY' : a % 10 === 1 && r >= 8 ? 'KWD' : 'EUR'
      const value = `${(a * 7 + r * 13) % 500}.${String((a * 31 + r * 17) % 10_000).padStart(4, '0')}`
      line++
      yield {
        line,
        record: {
          externalId: `${account}-${r}`, date: `2026-02-${String(1 + (r * 2)).padStart(2, '0')}T10:00:00Z`,
          billingAccount: { id: account }, taxExcludedAmount: { unit: currency, value }, ...(r === 5 ? { type: 'appliedBillingCredit' } : {})
        }
      }
    }
  }
}

function expectedBillCount (): number {
  const pairs = new Set<string>()
  for (const item of charges()) {
    const r = item.record as { billingAccount: { id: string }; taxExcludedAmount: { unit: string } }
    pairs.add(`${r.billingAccount.id}/${r.taxExcludedAmount.unit}`)
  }
  return pairs.size
}

/** Read-only access to the database the CLI writes, for polling and for the final checks. */
interface Inspector { query<T>(text: string): Promise<T[]>; close(): Promise<void> }

async function inspect (kind: StoreKind, url: string): Promise<Inspector> {
  if (kind === 'sqlite') {
    const db = new SQLite(url.replace(/^sqlite:/, ''), { readonly: true })
    return { query: async <T>(text: string) => db.prepare(text).all() as T[], close: async () => { db.close() } }
  }
  const schema = new URL(url).searchParams.get('schema') ?? 'public'
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` })
  await client.connect()
  return { query: async <T>(text: string) => (await client.query(text)).rows as T[], close: () => client.end() }
}

async function countBills (db: Inspector): Promise<number> {
  const [row] = await db.query<{ n: number | string }>('select count(*) as n from customer_bill')
  return Number(row?.n ?? 0)
}

for (const kind of await storeKinds()) {
  describe(`a bill run killed with SIGKILL and run again (${kind})`, () => {
    const scratch = scratchDir('crash')
    const url = kind === 'sqlite' ? `sqlite:${join(scratch.dir, 'crash.db')}` : freshDatabaseUrl('postgres')
    const expected = expectedBillCount()
    let db: Inspector

    before(async () => {
      const store = await openStore(url)
      const imported = await importRates((async function * () { yield * charges() })(),
        { store, clock: new FakeClock(AS_OF), taxConfig: DEFAULT_TAX_CONFIG, accountDefaults: { billCycleDay: 1, paymentTermsDays: 30 } })
      assert.equal(imported.created, ACCOUNTS * RATES_PER_ACCOUNT)
      await store.close()
      db = await inspect(kind, url)
    })
    after(async () => {
      await db?.close()
      scratch.cleanup()
      await dropSchemaOf(url)
    })

    test('bills every rate once and every bill once', { timeout: 120_000 }, async (t) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'bill-run', '--as-of', AS_OF], {
        cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore'
      })
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
      let killedAt = -1
      for (;;) {
        const n = await countBills(db)
        if (n >= expected * 0.1) {
          child.kill('SIGKILL')
          killedAt = n
          break
        }
        if (child.exitCode !== null) break
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      assert.equal(await exited, 'SIGKILL', 'the first run was killed before it finished')
      const afterKill = await countBills(db)
      assert.ok(afterKill < expected * 0.9, `killed mid-run: ${afterKill} of ${expected} bills existed (${killedAt} when the kill was sent)`)
      t.diagnostic(`killed with ${afterKill} of ${expected} bills committed`)

      const rerun = await runCli(['bill-run', '--as-of', AS_OF], { DATABASE_URL: url })
      assert.equal(rerun.code, 0, rerun.stderr)
      assert.match(rerun.stdout, new RegExp(`: ${expected - afterKill} bills for \\d+ accounts`))

      // One bill per (account, period, currency), as many as there are such pairs with rates.
      assert.equal(await countBills(db), expected)
      const duplicates = await db.query('select billing_account_id, period_start, currency from customer_bill group by billing_account_id, period_start, period_end, currency having count(*) > 1')
      assert.deepEqual(duplicates, [])

      // Every rate billed, onto a bill that exists.
      const [rates] = await db.query<{ unbilled: number | string; orphans: number | string }>(`select
        sum(case when is_billed = 1 then 0 else 1 end) as unbilled,
        sum(case when bill_id is null or bill_id not in (select id from customer_bill) then 1 else 0 end) as orphans
        from applied_customer_billing_rate`)
      assert.deepEqual([Number(rates?.unbilled), Number(rates?.orphans)], [0, 0])

      // Each bill's totals are the sums of its own rates (20 % VAT, the default rule), rounded once.
      const sums = new Map<string, Decimal>()
      for (const r of await db.query<{ bill_id: string; amount: string }>('select bill_id, tax_excluded_amount as amount from applied_customer_billing_rate')) {
        sums.set(r.bill_id, (sums.get(r.bill_id) ?? new Decimal(0)).plus(String(r.amount)))
      }
      const bills = await db.query<{ id: string; bill_no: string; currency: string; amount_due: string; body: unknown }>('select id, bill_no, currency, amount_due, body from customer_bill')
      for (const bill of bills) {
        const minor = MINOR[bill.currency] ?? 2
        const sum = sums.get(bill.id) ?? new Decimal(0)
        const excluded = roundHalfUp(sum, minor)
        const due = excluded.plus(roundHalfUp(sum.times('0.2'), minor))
        const body = (typeof bill.body === 'string' ? JSON.parse(bill.body) : bill.body) as { taxExcludedAmount: { value: number } }
        assert.equal(new Decimal(String(body.taxExcludedAmount.value)).toFixed(minor), excluded.toFixed(minor), `bill ${bill.bill_no} taxExcludedAmount`)
        assert.equal(new Decimal(String(bill.amount_due)).toFixed(minor), due.toFixed(minor), `bill ${bill.bill_no} amountDue`)
      }

      // Bill numbers 1..N, no gap, none twice.
      const numbers = bills.map((b) => Number(b.bill_no.replace(/^\D+/, ''))).sort((a, b) => a - b)
      assert.deepEqual(numbers, Array.from({ length: expected }, (_, i) => i + 1))

      // Side effects of a bill happened once each: its document and its create event.
      const [effects] = await db.query<{ documents: number | string; events: number | string }>(`select
        (select count(*) from bill_document) as documents,
        (select count(*) from event_outbox where event_type = 'CustomerBillCreateEvent') as events`)
      assert.deepEqual([Number(effects?.documents), Number(effects?.events)], [expected, expected])
    })
  })
}
