import { rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import { openStore } from '../src/store/database.ts'

/**
 * The engine's baseline: how fast SQLite itself stores rates in tmfbill's schema (every index of the rate
 * table) on this machine, with nothing of tmfbill around it: one prepared INSERT per row, 1,000 rows per
 * transaction, each row built in JavaScript much like an import builds it. An import cannot beat this; the
 * gap between the two is what tmfbill's own code (parsing, validation, tax, kysely) costs.
 *
 *   node --import tsx bench/storage-floor.ts --file .bench/floor.db --rows 200000
 * prints one JSON line: { rows, seconds, rowsPerSecond, cpuSeconds }.
 */
const { values } = parseArgs({ options: { file: { type: 'string' }, rows: { type: 'string', default: '200000' } } })
if (values.file === undefined) {
  console.error('usage: storage-floor.ts --file <sqlite file> [--rows N]')
  process.exit(2)
}
const file = values.file
const rows = Number(values.rows)
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
// The schema comes from tmfbill's own migrations; the file is then written with better-sqlite3 alone.
await (await openStore(`sqlite:${file}`)).close()
const db = new SQLite(file)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
const insert = db.prepare(`insert into applied_customer_billing_rate (id, external_id, billing_account_id, is_billed, bill_id, currency,
  tax_excluded_amount, date, type, product_id, created_at, body) values (?, ?, ?, 0, null, 'EUR', ?, ?, 'usageCharge', 'PO-MOBILE-M', ?, ?)`)
const accounts = Math.max(1, Math.floor(rows / 10))
const createdAt = new Date().toISOString()
const started = performance.now()
const cpu = process.cpuUsage()
const insertMany = db.transaction((from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const account = `BA-${String(i % accounts).padStart(6, '0')}`
    const date = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()
    const id = `0190${String(i).padStart(28, '0')}`
    const body = JSON.stringify({
      externalId: `floor-${i}`, billingAccount: { id: account, name: `Customer ${i % accounts}` }, date, type: 'usageCharge',
      name: 'Data usage', product: { id: 'PO-MOBILE-M', name: 'Mobile M' }, taxExcludedAmount: { unit: 'EUR', value: 12.34 },
      taxIncludedAmount: { unit: 'EUR', value: 14.81 }, appliedTax: [{ taxCategory: 'VAT', taxRate: 0.2, taxAmount: { unit: 'EUR', value: 2.47 } }]
    })
    insert.run(id, `floor-${i}`, account, '12.34', date, createdAt, body)
  }
})
for (let i = 0; i < rows; i += 1000) insertMany(i, Math.min(rows, i + 1000))
const seconds = (performance.now() - started) / 1000
const used = process.cpuUsage(cpu)
db.close()
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
console.log(JSON.stringify({ rows, seconds, rowsPerSecond: rows / seconds, cpuSeconds: (used.user + used.system) / 1e6 }))
