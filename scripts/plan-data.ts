/**
 * Builds the data set behind the query plans of docs/postgresql.md, through the real engine: writes rated
 * charges as NDJSON, then runs `tmfbill import` and two monthly `tmfbill bill-run`s as child processes, as an
 * operator would, and finally VACUUM ANALYZE so the planner has statistics and visibility maps.
 *
 *   node --import tsx scripts/plan-data.ts --database-url postgres://postgres@127.0.0.1:5432/tmfbill_plans [--accounts 50000]
 *
 * With the default 50,000 accounts: 1,000,000 rates (18 per account in the two closed months, 2 in the open
 * one), about 105,000 bills (one per account, month and currency; 5 % of the accounts also pay in USD), and
 * 100,000 rates left unbilled in the open cycle. Re-running it adds nothing: every rate has an externalId.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

const RATES_PER_CLOSED_MONTH = 9
const RATES_IN_OPEN_MONTH = 2

function monthStart (now: Date, offset: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1))
}

function accountId (i: number): string {
  return `ACC-${String(i).padStart(6, '0')}`
}

/** One account's charges of one month: a plan fee on the 1st and usage through the month. */
function* monthRates (i: number, month: Date, count: number, latest: Date): Generator<string> {
  const span = Math.max(0, Math.min(27 * 86_400_000, latest.getTime() - month.getTime()))
  for (let k = 0; k < count; k++) {
    const date = new Date(month.getTime() + Math.floor(span * ((k * 7 + i) % count + 0.5) / count))
    const usd = i % 20 === 0 && k % 3 === 2
    yield JSON.stringify({
      externalId: `pd-${i}-${month.toISOString().slice(0, 7)}-${k}`,
      date: date.toISOString(),
      type: k === 0 ? 'recurringCharge' : 'usageCharge',
      name: k === 0 ? 'Mobile plan monthly fee' : 'Data usage',
      billingAccount: { id: accountId(i), name: `Customer ${i}` },
      product: { id: `PRD-${i % 100}`, name: `Plan ${i % 100}` },
      taxExcludedAmount: { unit: usd ? 'USD' : 'EUR', value: ((i * 7 + k * 13) % 5000 / 100 + 0.01).toFixed(2) }
    })
  }
}

async function writeRates (file: string, accounts: number, now: Date): Promise<number> {
  const out = createWriteStream(file)
  const open = monthStart(now, 0)
  // NOTE: the open month's charges stop an hour before now, so they are all in the past when the runs start.
  const openLatest = new Date(now.getTime() - 3_600_000)
  let lines = 0
  for (let i = 0; i < accounts; i++) {
    const chunks: string[] = []
    for (const offset of [-2, -1]) {
      const month = monthStart(now, offset)
      for (const line of monthRates(i, month, RATES_PER_CLOSED_MONTH, monthStart(now, offset + 1))) chunks.push(line)
    }
    for (const line of monthRates(i, open, RATES_IN_OPEN_MONTH, openLatest)) chunks.push(line)
    lines += chunks.length
    if (!out.write(chunks.join('\n') + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return lines
}

/** Runs one tmfbill command, its output passed through, and fails on a non-zero exit. */
async function tmfbill (args: string[], databaseUrl: string): Promise<void> {
  const started = Date.now()
  console.log(`$ tmfbill ${args.join(' ')}`)
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }
  })
  const [code] = await once(child, 'close') as [number | null]
  if (code !== 0) throw new Error(`tmfbill ${args.join(' ')} exited with ${code}`)
  console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`)
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, accounts: { type: 'string', default: '50000' } } })
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL
  if (databaseUrl === undefined || !databaseUrl.startsWith('postgres')) throw new Error('give --database-url postgres://…')
  const accounts = Number(values.accounts)
  const now = new Date()
  const dir = await mkdtemp(join(tmpdir(), 'tmfbill-plans-'))
  try {
    const file = join(dir, 'rates.ndjson')
    console.log(`writing ${accounts} accounts' charges to ${file}`)
    console.log(`  ${await writeRates(file, accounts, now)} lines`)
    await tmfbill(['migrate'], databaseUrl)
    await tmfbill(['import', file], databaseUrl)
    // Two monthly runs: the month before last (as of the first day of last month), then last month (as of now).
    await tmfbill(['bill-run', '--as-of', new Date(monthStart(now, -1).getTime() + 12 * 3_600_000).toISOString()], databaseUrl)
    await tmfbill(['bill-run', '--as-of', now.toISOString()], databaseUrl)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  const url = new URL(databaseUrl)
  const schema = url.searchParams.get('schema')
  url.searchParams.delete('schema')
  url.searchParams.delete('pool')
  const client = new pg.Client({ connectionString: url.toString(), ...(schema ? { options: `-c search_path=${schema}` } : {}) })
  await client.connect()
  try {
    console.log('VACUUM ANALYZE')
    await client.query('VACUUM ANALYZE')
    const { rows } = await client.query<{ rates: string; unbilled: string; bills: string }>(`SELECT
      (SELECT count(*) FROM applied_customer_billing_rate) AS rates,
      (SELECT count(*) FROM applied_customer_billing_rate WHERE is_billed = 0) AS unbilled,
      (SELECT count(*) FROM customer_bill) AS bills`)
    console.log(`done: ${JSON.stringify(rows[0])}`)
  } finally {
    await client.end()
  }
}

await main()
