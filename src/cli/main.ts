import { createReadStream } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import cliProgress from 'cli-progress'
import { ConfigError, loadConfig } from '../config.ts'
import { systemClock } from '../domain/clock.ts'
import { parseTaxConfig } from '../domain/tax.ts'
import { importRates } from '../domain/import-rates.ts'
import { csvLines, ndjsonLines } from '../domain/rate-sources.ts'
import { runBillRun } from '../domain/bill-run.ts'
import { openStore } from '../store/database.ts'
import { migrate } from '../store/migrate.ts'
import { accountDefaults, billingOptions } from '../context.ts'
import { startServer } from '../server.ts'
import { createDemoData } from './demo.ts'
import { renderPendingDocuments } from '../documents/bill-documents.ts'
import { registerDeliveryCommands } from './deliveries.ts'

function parseDateOption (value: string): Date {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`not a date: ${value}`)
  return d
}

function rate (n: number, ms: number): string {
  return ms > 0 ? Math.round(n / (ms / 1000)).toLocaleString('en-US') : '∞'
}

const program = new Command('tmfbill')
  .description('TMF678 Customer Bill Management with a billing engine')
  .showHelpAfterError()

program.command('serve').description('start the HTTP server (and the background jobs)')
  .action(async () => { await startServer(loadConfig()) })

program.command('migrate').description('apply pending database migrations')
  .action(async () => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl, { migrate: false })
    const applied = await migrate(store.db, store.dialect.name, new URL(config.databaseUrl.startsWith('postgres') ? config.databaseUrl : 'file:x').searchParams.get('schema') ?? undefined)
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'up to date')
    await store.close()
  })

program.command('import').description('import rated charges (AppliedCustomerBillingRate) from an NDJSON or CSV file')
  .argument('<file>', 'file to import; .csv is read as CSV, anything else as NDJSON')
  .option('--format <format>', 'ndjson or csv (default: from the file name)')
  .action(async (file: string, opts: { format?: string }) => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    const format = opts.format ?? (file.endsWith('.csv') ? 'csv' : 'ndjson')
    const input = createReadStream(file)
    const bar = new cliProgress.SingleBar({ format: 'import |{bar}| {value} lines | {created} new, {duplicates} known, {rejected} rejected', noTTYOutput: false },
      cliProgress.Presets.shades_classic)
    bar.start(0, 0, { created: 0, duplicates: 0, rejected: 0 })
    const result = await importRates(format === 'csv' ? csvLines(input) : ndjsonLines(input),
      { store, clock: systemClock, taxConfig: parseTaxConfig(config.taxRules), accountDefaults: accountDefaults(config) },
      (p) => { bar.setTotal(p.read); bar.update(p.read, p) })
    bar.stop()
    console.log(`read ${result.read} lines in ${(result.durationMs / 1000).toFixed(1)} s (${rate(result.read, result.durationMs)} lines/s): ` +
      `${result.created} created, ${result.duplicates} already known, ${result.rejected} rejected`)
    for (const e of result.errors.slice(0, 20)) console.log(`  line ${e.line}: ${e.reason}`)
    if (result.rejected > 20) console.log(`  … and ${result.rejected - 20} more rejected lines`)
    await store.close()
    process.exitCode = result.rejected > 0 ? 2 : 0
  })

program.command('bill-run').description('bill every account whose cycle period has closed')
  .option('--as-of <date>', 'bill the periods closed at this date-time (default: now)', parseDateOption)
  .action(async (opts: { asOf?: Date }) => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    const bar = new cliProgress.SingleBar({ format: 'bill run | {accounts} accounts billed | {bills} bills | {rates} rates' }, cliProgress.Presets.shades_classic)
    bar.start(0, 0, { accounts: 0, bills: 0, rates: 0 })
    const result = await runBillRun({ ...(opts.asOf ? { asOf: opts.asOf } : {}), defaultCycleDay: config.billCycleDay, onProgress: (p) => bar.update(p.accounts, p) },
      { store, clock: systemClock, billing: billingOptions(config, store) })
    bar.stop()
    console.log(`bill run as of ${result.asOf}: ${result.bills} bills for ${result.accounts} accounts, ${result.rates} rates, ` +
      `in ${(result.durationMs / 1000).toFixed(1)} s (${rate(result.accounts, result.durationMs)} accounts/s, ${rate(result.rates, result.durationMs)} rates/s)`)
    for (const f of result.failures) console.log(`  account ${f.accountId} not billed: ${f.reason}`)
    await store.close()
  })

program.command('render-documents').description('render the PDF of every bill that has none yet')
  .action(async () => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    let total = 0
    for (let n = -1; n !== 0; total += n) n = await renderPendingDocuments({ store, issuerName: config.issuerName, now: () => new Date() }, 100)
    console.log(`rendered ${total} documents`)
    await store.close()
  })

program.command('demo').description('create demo accounts, charges, bills and payments through the engine')
  .option('--serve', 'start the server afterwards')
  .action(async (opts: { serve?: boolean }) => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    const result = await createDemoData({ config, store, clock: systemClock, taxConfig: parseTaxConfig(config.taxRules) })
    console.log(`demo data: ${result.rates.created} new rates (${result.rates.duplicates} already there), ${result.bills} new bills, ${result.payments} payments`)
    await store.close()
    if (opts.serve) {
      const app = await startServer(config)
      console.log(`tmfbill is listening on ${config.publicUrl} — try ${config.publicUrl}/tmf-api/customerBillManagement/v4/customerBill and ${config.publicUrl}/docs`)
      void app
    }
  })

registerDeliveryCommands(program)

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message)
  else console.error(err)
  process.exit(1)
})
