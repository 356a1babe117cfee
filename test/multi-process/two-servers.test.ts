import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { type Listener, startListener } from '../events/listener.ts'
import { dropSchemaOf, freshDatabaseUrl, postgresAvailable, TEST_DATABASE_URL } from '../helpers/stores.ts'
import { logLines, runCli, type ServerProcess, startServerProcess } from './processes.ts'

/**
 * Several processes over one PostgreSQL, as operators run tmfbill behind a load balancer: two `tmfbill serve`
 * processes, two `tmfbill bill-run` processes at the same as-of and on-demand requests spread over both
 * servers, all at once, with a hub subscriber receiving the events. Then the in-server scheduler on two nodes.
 * What must hold: no duplicate bill, every rate billed once, gap-free bill numbers, every on-demand request
 * processed once, every event delivered, none twice per attempt (docs/decisions/0012-several-processes.md).
 */

const ACCOUNTS = 300
const account = (i: number) => `MP-${String(i).padStart(4, '0')}`
/** Accounts that also have charges in the open cycle, and get two on-demand requests (one per server). */
const onDemandAccounts = Array.from({ length: ACCOUNTS }, (_, i) => i).filter((i) => i % 5 === 0).map(account)

const skip = process.env.TEST_POSTGRES === 'on' || await postgresAvailable()
  ? false
  : `PostgreSQL unreachable at ${TEST_DATABASE_URL}: set TEST_DATABASE_URL, or TEST_POSTGRES=on to make this a failure`

function monthStart (now: Date, offset: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1))
}

function rateLine (externalId: string, accountId: string, date: Date, currency: string, value: string): string {
  return JSON.stringify({
    externalId, date: date.toISOString(), type: 'usageCharge', name: 'Data usage',
    billingAccount: { id: accountId }, taxExcludedAmount: { unit: currency, value }
  })
}

/**
 * Charges of the last closed cycle (cycle day 1: the previous month) for every account, in EUR and USD, and
 * charges of the open cycle for the on-demand accounts, dated before `now`.
 */
function chargesFile (now: Date): string {
  const closed = monthStart(now, -1)
  const open = monthStart(now, 0)
  const lines: string[] = []
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = account(i)
    const day = (d: number) => new Date(closed.getTime() + d * 86_400_000 + (i % 24) * 3_600_000)
    lines.push(rateLine(`${id}-c1`, id, day(1), 'EUR', `${1 + (i % 7)}.25`))
    lines.push(rateLine(`${id}-c2`, id, day(10), 'EUR', '0.333'))
    lines.push(rateLine(`${id}-c3`, id, day(20), 'USD', `${10 + (i % 3)}.10`))
  }
  onDemandAccounts.forEach((id, j) => {
    const at = new Date(open.getTime() + (now.getTime() - 60_000 - open.getTime()) * (j + 1) / (onDemandAccounts.length + 1))
    lines.push(rateLine(`${id}-o1`, id, at, 'EUR', '4.00'))
    if (j % 2 === 0) lines.push(rateLine(`${id}-o2`, id, at, 'USD', '2.50'))
  })
  return lines.join('\n') + '\n'
}

/** Closed-cycle charges for accounts the scheduler bills in the second half. */
function schedulerChargesFile (now: Date, prefix: string, count: number): string {
  const closed = monthStart(now, -1)
  return Array.from({ length: count }, (_, i) =>
    rateLine(`${prefix}-${i}`, `${prefix}-${i}`, new Date(closed.getTime() + (i + 1) * 3_600_000), 'EUR', '7.00')).join('\n') + '\n'
}

async function waitUntil (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('several processes over one PostgreSQL', { skip }, () => {
  const url = skip ? '' : freshDatabaseUrl('postgres')
  const schema = skip ? '' : new URL(url).searchParams.get('schema') ?? ''
  let db: pg.Pool
  let dir: string
  let listener: Listener
  const running = new Set<ServerProcess>()
  const startPair = async (serverEnv: Record<string, string>) => {
    const pair = await Promise.all([startServerProcess(serverEnv), startServerProcess(serverEnv)])
    for (const s of pair) running.add(s)
    return pair
  }
  const stop = (s: ServerProcess) => { running.delete(s); return s.stop() }
  const env = { DATABASE_URL: url, LOG_LEVEL: 'warn', ALLOW_PRIVATE_CALLBACKS: 'true', EVENT_POLL_MS: '100', TZ: 'UTC' }
  const count = async (query: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(query, params)).rows[0]?.n)

  before(async () => {
    db = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2, options: `-c search_path=${schema}` })
    dir = await mkdtemp(join(tmpdir(), 'tmfbill-mp-'))
    listener = await startListener()
  })

  after(async () => {
    await Promise.all([...running].map(stop))
    await listener?.close()
    await db?.end()
    if (dir) await rm(dir, { recursive: true, force: true })
    if (url) await dropSchemaOf(url)
  })

  test('two servers, two bill runs and on-demand requests at once bill every rate once and deliver every event', { timeout: 90_000 }, async (t) => {
    const t0 = Date.now()
    const mark = (what: string) => t.diagnostic(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const migrated = await runCli(['migrate'], env)
    assert.equal(migrated.code, 0, migrated.stderr)
    assert.match(migrated.stdout, /applied: 0001-initial/)

    const now = new Date()
    const file = join(dir, 'charges.ndjson')
    await writeFile(file, chargesFile(now))
    const imported = await runCli(['import', file], env)
    assert.equal(imported.code, 0, imported.stderr + imported.stdout)
    const totalRates = ACCOUNTS * 3 + onDemandAccounts.length + Math.ceil(onDemandAccounts.length / 2)
    assert.match(imported.stdout, new RegExp(`${totalRates} created, 0 already known, 0 rejected`))

    mark('imported')
    const serverEnv = { ...env, BILL_RUN_SCHEDULE: 'off' }
    const [a, b] = await startPair(serverEnv)
    const subscribed = await fetch(`${a.api}/hub`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callback: listener.url }) })
    assert.equal(subscribed.status, 201)

    mark('servers up')
    // Everything at once: two bill runs, and two on-demand requests per account, one to each server, sent in
    // waves once the runs bill, so that both meet on the same accounts' rates.
    const asOf = new Date().toISOString()
    const runs = Promise.all([runCli(['bill-run', '--as-of', asOf], env), runCli(['bill-run', '--as-of', asOf], env)])
    await waitUntil('the bill runs to start billing', async () => await count('SELECT count(*) AS n FROM customer_bill') > 0, 30_000)
    const requests: { accountId: string; id: string }[] = []
    for (let wave = 0; wave < 4; wave++) {
      const accounts = onDemandAccounts.filter((_, j) => j % 4 === wave)
      requests.push(...await Promise.all(accounts.flatMap((id) => [a, b].map(async (server) => {
        const res = await fetch(`${server.api}/customerBillOnDemand`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ billingAccount: { id }, name: `on demand for ${id}` })
        })
        assert.equal(res.status, 201)
        return { accountId: id, id: ((await res.json()) as { id: string }).id }
      }))))
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    for (const run of await runs) {
      assert.equal(run.code, 0, `bill run failed or left accounts unbilled: ${run.stdout}${run.stderr}`)
      assert.doesNotMatch(run.stdout, /not billed/)
    }
    mark('bill runs done')
    await waitUntil('every on-demand request to be processed',
      async () => await count(`SELECT count(*) AS n FROM customer_bill_on_demand WHERE state = 'inProgress'`) === 0, 30_000)

    mark('on-demand done')
    // Every rate billed, once, into a bill of its own account and currency whose total is exactly its rates.
    assert.equal(await count('SELECT count(*) AS n FROM applied_customer_billing_rate'), totalRates)
    assert.equal(await count('SELECT count(*) AS n FROM applied_customer_billing_rate WHERE is_billed = 0 OR bill_id IS NULL'), 0, 'no rate left out')
    assert.equal(await count(`SELECT count(*) AS n FROM applied_customer_billing_rate r LEFT JOIN customer_bill b ON b.id = r.bill_id
      WHERE b.id IS NULL OR b.billing_account_id <> r.billing_account_id OR b.currency <> r.currency`), 0)
    // (EUR and USD bills are rounded to cents, half up, like PostgreSQL's round() on numeric.)
    const mismatched = await db.query(`SELECT b.bill_no, b.body->'taxExcludedAmount'->>'value' AS billed, sum(r.tax_excluded_amount) AS rates
      FROM customer_bill b LEFT JOIN applied_customer_billing_rate r ON r.bill_id = b.id
      GROUP BY b.id HAVING round(coalesce(sum(r.tax_excluded_amount), 0), 2) <> (b.body->'taxExcludedAmount'->>'value')::numeric`)
    assert.deepEqual(mismatched.rows, [], 'a bill totals the rates marked with its id')

    // No duplicate on-cycle bill, and bill numbers 1..N without a gap.
    assert.equal(await count(`SELECT count(*) AS n FROM (SELECT 1 FROM customer_bill WHERE run_type = 'onCycle'
      GROUP BY billing_account_id, period_start, period_end, currency HAVING count(*) > 1) d`), 0)
    const numbers = (await db.query<{ bill_no: string }>('SELECT bill_no FROM customer_bill ORDER BY bill_no')).rows.map((r) => r.bill_no)
    assert.deepEqual(numbers, numbers.map((_, i) => `INV-${String(i + 1).padStart(8, '0')}`))
    const bills = numbers.length
    assert.ok(bills >= ACCOUNTS * 2, `${bills} bills: at least one per account and currency`)

    // Each on-demand request processed once: per account one done (a bill per currency), the other rejected.
    const outcome = await db.query<{ id: string; billing_account_id: string; state: string; bills: string }>(`SELECT d.id, d.billing_account_id, d.state,
      (SELECT count(*) FROM customer_bill b WHERE b.on_demand_id LIKE d.id || '/%') AS bills FROM customer_bill_on_demand d`)
    assert.equal(outcome.rows.length, requests.length)
    for (const id of onDemandAccounts) {
      const rows = outcome.rows.filter((r) => r.billing_account_id === id)
      assert.deepEqual(rows.map((r) => r.state).sort(), ['done', 'rejected'], `requests of ${id}`)
      assert.ok(Number(rows.find((r) => r.state === 'done')?.bills) >= 1)
      assert.equal(Number(rows.find((r) => r.state === 'rejected')?.bills), 0)
    }
    const stateEvents = await db.query<{ id: string; n: string }>(`SELECT payload->'event'->'customerBillOnDemand'->>'id' AS id, count(*) AS n
      FROM event_outbox WHERE event_type = 'CustomerBillOnDemandStateChangeEvent' GROUP BY 1`)
    assert.equal(stateEvents.rows.length, requests.length)
    assert.ok(stateEvents.rows.every((r) => r.n === '1'), 'one state change per request')

    // Every event delivered to the subscriber, once: one attempt per delivery, no delivery or event twice.
    const events = await count('SELECT count(*) AS n FROM event_outbox')
    assert.equal(events, bills + 2 * requests.length)
    await listener.waitFor(events, 30_000)
    mark('events received')
    await waitUntil('every delivery to be recorded', async () =>
      await count(`SELECT count(*) AS n FROM event_delivery WHERE status = 'delivered'`) === events, 10_000)
    await new Promise((resolve) => setTimeout(resolve, 500)) // a duplicate would arrive now
    const received = listener.received
    assert.equal(received.length, events)
    const eventIds = new Set(received.map((r) => r.headers['x-event-id']))
    assert.equal(eventIds.size, events, 'no event received twice')
    const outboxIds = (await db.query<{ id: string }>('SELECT id FROM event_outbox')).rows.map((r) => r.id)
    assert.deepEqual([...eventIds].sort(), outboxIds.sort())
    assert.equal(new Set(received.map((r) => `${String(r.headers['x-delivery-id'])}#${String(r.headers['x-delivery-attempt'])}`)).size, events)
    assert.ok(received.every((r) => r.headers['x-delivery-attempt'] === '1'))

    // Both servers answer from the same data.
    const totals = await Promise.all([a, b].map(async (s) => (await fetch(`${s.api}/customerBill?limit=1`)).headers.get('x-total-count')))
    assert.deepEqual(totals, [String(bills), String(bills)])

    assert.deepEqual(await Promise.all([a, b].map(stop)), [0, 0], 'both servers shut down cleanly')
  })

  test('the in-server scheduler runs on one node at a time and moves to the other when its node stops', { timeout: 60_000 }, async () => {
    const serverEnv = { ...env, BILL_RUN_SCHEDULE: 'on', BILL_RUN_INTERVAL_SECONDS: '1', LOG_LEVEL: 'info' }
    const servers = await startPair(serverEnv)
    const holderPid = async () => {
      const row = (await db.query<{ holder: string }>(`SELECT holder FROM lease WHERE name = 'bill-run-scheduler'`)).rows[0]
      return row ? Number(row.holder.split(':')[1]) : undefined
    }
    await waitUntil('a node to take the scheduler lease', async () => await holderPid() !== undefined, 10_000)
    const firstPid = await holderPid()
    const holder = servers.find((s) => s.pid === firstPid)
    const other = servers.find((s) => s.pid !== firstPid)
    assert.ok(holder && other, `the lease holder (pid ${firstPid}) is one of the two servers`)

    const billedBy = async (prefix: string, n: number) => {
      const file = join(dir, `${prefix}.ndjson`)
      await writeFile(file, schedulerChargesFile(new Date(), prefix, n))
      const imported = await runCli(['import', file], env)
      assert.equal(imported.code, 0, imported.stderr)
      await waitUntil(`the scheduler to bill ${prefix}`, async () => await count(
        `SELECT count(*) AS n FROM applied_customer_billing_rate WHERE billing_account_id LIKE $1 AND is_billed = 1`, [`${prefix}-%`]) === n, 20_000)
    }
    const scheduledRuns = (s: ServerProcess) => logLines(s.output()).filter((l) => l.msg === 'scheduled bill run')

    await billedBy('SCHED-A', 20)
    await new Promise((resolve) => setTimeout(resolve, 2_500)) // a few more ticks on both nodes
    assert.equal(await holderPid(), holder.pid, 'the holder renews its lease')
    assert.ok(scheduledRuns(holder).length >= 1)
    assert.equal(scheduledRuns(other).length, 0, 'the other node never ran the schedule')

    // The holder stops and hands the lease back: the other node takes the schedule at its next tick.
    assert.equal(await stop(holder), 0)
    await waitUntil('the other node to take the lease', async () => await holderPid() === other.pid, 10_000)
    await billedBy('SCHED-B', 20)
    // The run logs once it has committed its last account: the line may still be on its way through the pipe.
    await waitUntil('the other node to log its scheduled run', async () => scheduledRuns(other).length >= 1, 5_000)

    const numbers = (await db.query<{ bill_no: string }>('SELECT bill_no FROM customer_bill ORDER BY bill_no')).rows.map((r) => r.bill_no)
    assert.deepEqual(numbers, numbers.map((_, i) => `INV-${String(i + 1).padStart(8, '0')}`), 'bill numbers stay gap-free')
    assert.equal(await count(`SELECT count(*) AS n FROM customer_bill WHERE billing_account_id LIKE 'SCHED-%'`), 40, 'one bill per account')
    const errors = logLines(other.output()).filter((l) => Number(l.level) >= 50)
    assert.deepEqual(errors, [])
  })
})
