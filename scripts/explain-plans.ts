/**
 * Prints the PostgreSQL plans (`EXPLAIN (ANALYZE, BUFFERS)`) of the queries behind the common API lists and
 * the bill run, as markdown for docs/postgresql.md. The SQL is not retyped here: each case calls the same
 * store function the API or the engine calls, with kysely's query log on, and every statement it issued is
 * explained with its own parameters — so the page count (X-Total-Count) and the page itself both show up.
 *
 *   node --import tsx scripts/explain-plans.ts --database-url postgres://postgres@127.0.0.1:5432/tmfbill_plans > plans.md
 *
 * Build the data first with scripts/plan-data.ts. Each statement runs once to warm the cache, then is
 * explained; statements that lock (FOR UPDATE) run in a transaction that is rolled back.
 */
import { parse } from 'node:querystring'
import { parseArgs } from 'node:util'
import type { CompiledQuery } from 'kysely'
import pg from 'pg'
import { parseListQuery } from '../src/api/query/parse-query.ts'
import type { RawQuery } from '../src/api/query/types.ts'
import { openStore, type Store } from '../src/store/database.ts'
import { listCustomerBills, listRates } from '../src/store/list.ts'
import { findAccountsWithUnbilledRates, findUnbilledRates, findUnbilledRatesOfAccounts } from '../src/store/rates.ts'

interface Case { title: string; request: string; run(store: Store): Promise<unknown> }

/** A list request as the API parses it (MAX_PAGE_SIZE 1000, also the default page size). */
function apiList (path: string, list: (store: Store, q: ReturnType<typeof parseListQuery>) => Promise<unknown>): (store: Store) => Promise<unknown> {
  const query = parseListQuery(parse(path.split('?')[1] ?? '') as RawQuery, { maxLimit: 1000, defaultLimit: 1000 })
  return (store) => list(store, query)
}

interface Sample { account: string; midAccount: string; now: Date; since: string; day: string; nextDay: string }

function cases (sample: Sample): Case[] {
  const bills = (q: string): Case => ({ title: '', request: `GET /customerBill?${q}`, run: apiList(`?${q}`, listCustomerBills) })
  const rates = (q: string): Case => ({ title: '', request: `GET /appliedCustomerBillingRate?${q}`, run: apiList(`?${q}`, listRates) })
  const now = sample.now.toISOString()
  return [
    { ...bills(`billingAccount.id=${sample.account}&state=new&limit=50`), title: "An account's open bills (self-care, CRM)" },
    { ...bills('fields=billNo,billDate,amountDue,state&limit=50'), title: 'Bills with fields, first page' },
    { ...bills('fields=billNo,billDate,amountDue,state&limit=50&offset=50000'), title: 'Bills with fields, a deep page' },
    { ...bills('fields=billNo,amountDue&sort=billDate&limit=50'), title: 'Bills by bill date' },
    { ...bills('fields=billNo,amountDue&sort=-billDate&limit=50'), title: 'Latest bills first' },
    { ...bills(`lastUpdate.gt=${sample.since}&sort=lastUpdate&limit=100`), title: 'Bills changed since the last sync' },
    { ...rates('isBilled=false&limit=100'), title: 'Unbilled rates' },
    { ...rates('sort=-date&limit=100'), title: 'Latest rates first' },
    { ...rates(`date.gte=${sample.day}&date.lt=${sample.nextDay}&limit=100`), title: "One day's rates" },
    { ...rates(`billingAccount.id=${sample.account}&isBilled=false&limit=100`), title: "An account's unbilled rates" },
    {
      title: "Bill run: the scan for accounts to bill (first page of 500, then a page from the middle)",
      request: `findAccountsWithUnbilledRates(before = ${now})`,
      run: async (store) => {
        await findAccountsWithUnbilledRates(store.db, now, null, 500)
        await findAccountsWithUnbilledRates(store.db, now, sample.midAccount, 500)
      }
    },
    {
      title: "Bill run: a batch's unbilled rates (100 accounts), locked",
      request: `findUnbilledRatesOfAccounts(100 accounts from ${sample.midAccount}, before = ${now}, FOR UPDATE)`,
      run: async (store) => {
        const page = await findAccountsWithUnbilledRates(store.db, now, sample.midAccount, 100)
        await store.transaction((trx) => findUnbilledRatesOfAccounts(trx, page.map((p) => p.accountId), now, true))
      }
    },
    {
      title: "On-demand bill: one account's unbilled rates, locked",
      request: `findUnbilledRates(${sample.account}, before = ${now}, FOR UPDATE)`,
      run: (store) => store.transaction((trx) => findUnbilledRates(trx, sample.account, now, true))
    }
  ]
}

async function explain (client: pg.Client, query: CompiledQuery): Promise<string> {
  const params = [...query.parameters]
  await client.query('BEGIN')
  try {
    await client.query(query.sql, params)
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, params)
    return rows.map((r) => r['QUERY PLAN']).join('\n')
  } finally {
    await client.query('ROLLBACK')
  }
}

/** The plan's scan nodes, in plan order: "Index Only Scan using acbr_unbilled", "Seq Scan on payment". */
function access (plan: string): string {
  const scans = plan.split('\n').map((l) => /((?:Parallel )?(?:Index Only Scan|Index Scan(?: Backward)?|Bitmap Index Scan|Seq Scan)(?: Backward)? (?:using|on) \S+)/.exec(l)?.[1])
  return [...new Set(scans.filter((x): x is string => x !== undefined))].join(', ')
}

/** The statement with its parameters shown where they are bound, for reading (the plan used the real binds). */
function readable (query: CompiledQuery): string {
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const v = query.parameters[Number(n) - 1]
    return typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`
  })
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { 'database-url': { type: 'string' } } })
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL
  if (databaseUrl === undefined || !databaseUrl.startsWith('postgres')) throw new Error('give --database-url postgres://…')
  let captured: CompiledQuery[] = []
  const store = await openStore(databaseUrl, { log: (e) => { if (e.level === 'query') captured.push(e.query) } })
  const url = new URL(databaseUrl)
  const schema = url.searchParams.get('schema')
  url.searchParams.delete('schema')
  url.searchParams.delete('pool')
  const client = new pg.Client({ connectionString: url.toString(), ...(schema ? { options: `-c search_path=${schema}` } : {}) })
  await client.connect()
  try {
    const counts = (await client.query<{ rates: string; unbilled: string; bills: string; accounts: string }>(`SELECT
      (SELECT count(*) FROM applied_customer_billing_rate) AS rates,
      (SELECT count(*) FROM applied_customer_billing_rate WHERE is_billed = 0) AS unbilled,
      (SELECT count(*) FROM customer_bill) AS bills, (SELECT count(*) FROM billing_account) AS accounts`)).rows[0]
    const ids = (await client.query<{ id: string }>('SELECT id FROM billing_account ORDER BY id')).rows.map((r) => r.id)
    const account = ids[Math.floor(ids.length * 0.61)] ?? 'none'
    const midAccount = ids[Math.floor(ids.length / 2)] ?? 'none'
    const version = (await client.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v
    console.log(`Data: ${counts?.rates} rates (${counts?.unbilled} unbilled), ${counts?.bills} bills, ${counts?.accounts} accounts; ${version}.\n`)
    const now = new Date()
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 14))
    const since = new Date(now.getTime() - 3_600_000).toISOString()
    const sample = { account, midAccount, now, since, day: day.toISOString(), nextDay: new Date(day.getTime() + 86_400_000).toISOString() }
    const summary: string[] = ['| request | statement | how PostgreSQL reads | time |', '|---|---|---|---|']
    const details: string[] = []
    for (const c of cases(sample)) {
      captured = []
      await c.run(store)
      details.push(`### ${c.title}\n\n\`${c.request}\`\n`)
      for (const query of captured.filter((q) => /^\s*select/i.test(q.sql))) {
        const plan = await explain(client, query)
        details.push('```sql\n' + readable(query) + '\n```\n\n```\n' + plan + '\n```\n')
        summary.push(`| ${c.title} | ${/count\(/i.test(query.sql) ? 'count' : 'rows'} | ${access(plan)} | ${/Execution Time: ([\d.]+ ms)/.exec(plan)?.[1] ?? '?'} |`)
      }
    }
    console.log(summary.join('\n') + '\n\n' + details.join('\n'))
  } finally {
    await client.end()
    await store.close()
  }
}

await main()
