import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import SQLite from 'better-sqlite3'
import { runCli, startServerProcess, type ServerProcess } from './processes.ts'

/**
 * SQLite serves one server process per file, but operators run the batch commands beside it: a
 * `tmfbill bill-run` while the server takes in rates must neither fail nor disturb the server (SQLite
 * transactions take the write lock at BEGIN, so one waits for the other instead of failing with
 * SQLITE_BUSY_SNAPSHOT).
 */

let dir: string
let server: ServerProcess | undefined

before(async () => { dir = await mkdtemp(join(tmpdir(), 'tmfbill-sqlite-')) })
after(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

test('a bill run from the CLI beside a server writing to the same SQLite file', { timeout: 60_000 }, async () => {
  const env = { DATABASE_URL: `sqlite:${join(dir, 'tmfbill.db')}`, LOG_LEVEL: 'warn', BILL_RUN_SCHEDULE: 'off' }
  const now = new Date()
  const closed = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 2)
  const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({
    externalId: `closed-${i}`, date: new Date(closed + (i % 20) * 86_400_000).toISOString(),
    billingAccount: { id: `SQ-${String(i % 200).padStart(3, '0')}` }, taxExcludedAmount: { unit: 'EUR', value: '1.50' }
  }))
  const file = join(dir, 'closed.ndjson')
  await writeFile(file, lines.join('\n') + '\n')
  assert.equal((await runCli(['import', file], env)).code, 0)
  server = await startServerProcess(env)

  // Rates of the open cycle arrive over HTTP, one at a time, for as long as the bill run lasts.
  let running = true
  const statuses: number[] = []
  const api = server.api
  const ingest = (async () => {
    for (let i = 0; running; i++) {
      const res = await fetch(`${api}/appliedCustomerBillingRate`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ externalId: `live-${i}`, date: new Date(Date.now() - 1000).toISOString(),
          billingAccount: { id: `SQ-${String(i % 200).padStart(3, '0')}` }, taxExcludedAmount: { unit: 'EUR', value: '2.00' } })
      })
      statuses.push(res.status)
      await res.arrayBuffer()
    }
  })()
  const run = await runCli(['bill-run'], env)
  running = false
  await ingest

  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /200 bills for 200 accounts, 600 rates/)
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 201), `every rate accepted: ${statuses.join(' ')}`)
  assert.equal(await server.stop(), 0)
  server = undefined

  const db = new SQLite(join(dir, 'tmfbill.db'), { readonly: true })
  try {
    const unbilledClosed = db.prepare(`SELECT count(*) AS n FROM applied_customer_billing_rate WHERE external_id LIKE 'closed-%' AND is_billed = 0`).get() as { n: number }
    assert.equal(unbilledClosed.n, 0)
    const live = db.prepare(`SELECT count(*) AS n FROM applied_customer_billing_rate WHERE external_id LIKE 'live-%' AND is_billed = 0`).get() as { n: number }
    assert.equal(live.n, statuses.length, 'open-cycle rates wait for their own period')
  } finally {
    db.close()
  }
})
