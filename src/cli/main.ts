import { createReadStream, existsSync } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { type Config, ConfigError, loadConfig } from '../config.ts'
import { systemClock } from '../domain/clock.ts'
import { isDomainError } from '../domain/errors.ts'
import { parseTaxConfig } from '../domain/tax.ts'
import { importRates } from '../domain/import-rates.ts'
import { csvLines, ndjsonLines } from '../domain/rate-sources.ts'
import { runBillRun } from '../domain/bill-run.ts'
import { configureAccount } from '../domain/configure-account.ts'
import { migrateStore, openStore } from '../store/database.ts'
import { findAccount } from '../store/accounts.ts'
import { countAccountsWithUnbilledRates } from '../store/rates.ts'
import { checkRateInput } from '../api/schemas/rate-validator.ts'
import { accountDefaults, billingOptions } from '../context.ts'
import { renderPendingDocuments } from '../documents/bill-documents.ts'
import { registerDeliveryCommands } from './deliveries.ts'
import { formatRate as rate, startProgress } from './progress.ts'

// NOTE: the HTTP server (src/server.ts) is imported only by the commands that listen, so that batch commands
// (import, bill-run) start fast and do not load the API.
async function listen (config: Config): Promise<void> {
  const { startServer } = await import('../server.ts')
  await startServer(config)
}

function parseDateOption (value: string): Date {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`not a date: ${value}`)
  return d
}

function parseIntegerOption (value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`not a whole number: ${value}`)
  return Number(value)
}

const program = new Command('tmfbill')
  .description('TMF678 Customer Bill Management with a billing engine')
  .showHelpAfterError()

program.command('serve').description('start the HTTP server (and the background jobs)')
  .action(async () => { await listen(loadConfig()) })

program.command('migrate').description('apply pending database migrations (the server also applies them at start)')
  .action(async () => {
    const applied = await migrateStore(loadConfig().databaseUrl)
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'up to date: no migration to apply')
  })

program.command('import').description('import rated charges (AppliedCustomerBillingRate) from an NDJSON or CSV file (docs/import.md)')
  .argument('<file>', 'file to import; .csv is read as CSV, anything else as NDJSON')
  .option('--format <format>', 'ndjson or csv (default: from the file name)')
  .action(async (file: string, opts: { format?: string }) => {
    const format = opts.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson')
    if (format !== 'csv' && format !== 'ndjson') throw new InvalidArgumentError(`unknown format '${format}': use ndjson or csv`)
    if (!existsSync(file)) throw new InvalidArgumentError(`no such file: ${file}`)
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    const input = createReadStream(file)
    const progress = startProgress({
      format: 'import | {value} lines | {created} new, {duplicates} known, {rejected} rejected',
      total: 0,
      initial: { created: 0, duplicates: 0, rejected: 0 },
      describe: (read, _total, p) => `import: ${read} lines read, ${p.created} new, ${p.duplicates} known, ${p.rejected} rejected`
    })
    try {
      const result = await importRates(format === 'csv' ? csvLines(input) : ndjsonLines(input),
        { store, clock: systemClock, taxConfig: parseTaxConfig(config.taxRules), accountDefaults: accountDefaults(config), checkInput: checkRateInput },
        (p) => { progress.setTotal(p.read); progress.update(p.read, p) })
      progress.stop()
      console.log(`read ${result.read} lines in ${(result.durationMs / 1000).toFixed(1)} s (${rate(result.read, result.durationMs)} lines/s): ` +
        `${result.created} created, ${result.duplicates} already known, ${result.rejected} rejected`)
      for (const e of result.errors.slice(0, 20)) console.log(`  line ${e.line}: ${e.reason}`)
      if (result.rejected > 20) console.log(`  … and ${result.rejected - 20} more rejected lines`)
      // NOTE: exit code 2 = imported, but some lines were rejected (docs/import.md); 1 = the import itself failed.
      process.exitCode = result.rejected > 0 ? 2 : 0
    } finally {
      progress.stop()
      await store.close()
    }
  })

program.command('bill-run').description('bill every account whose cycle period has closed')
  .option('--as-of <date>', 'bill the periods closed at this date-time (default: now)', parseDateOption)
  .action(async (opts: { asOf?: Date }) => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    const asOf = opts.asOf ?? systemClock.now()
    try {
      const total = await countAccountsWithUnbilledRates(store.db, asOf.toISOString())
      const progress = startProgress({
        format: 'bill run |{bar}| {value}/{total} accounts | {bills} bills | {rates} rates',
        total,
        initial: { accounts: 0, bills: 0, rates: 0, skipped: 0 },
        describe: (done, all, p) => `bill run: ${done}/${all} accounts, ${p.bills} bills, ${p.rates} rates`
      })
      const result = await runBillRun({ asOf, defaultCycleDay: config.billCycleDay, onProgress: (p) => progress.update(p.accounts + p.skipped, p) },
        { store, clock: systemClock, billing: billingOptions(config, store) })
      progress.stop()
      console.log(`bill run as of ${result.asOf}: ${result.bills} bills for ${result.accounts} accounts, ${result.rates} rates, ` +
        `in ${(result.durationMs / 1000).toFixed(1)} s (${rate(result.accounts, result.durationMs)} accounts/s, ${rate(result.rates, result.durationMs)} rates/s)` +
        (result.skipped > 0 ? `; ${result.skipped} accounts had nothing in a closed period` : ''))
      for (const f of result.failures) console.log(`  account ${f.accountId} not billed: ${f.reason}`)
      // NOTE: exit code 2 = the run finished but some accounts were not billed (listed above); run it again.
      process.exitCode = result.failures.length > 0 ? 2 : 0
    } finally {
      await store.close()
    }
  })

const account = program.command('account').description('billing account settings: bill cycle and payment terms')

account.command('set').description('set an account\'s bill cycle day and payment terms (registers the account if it is new)')
  .argument('<id>', 'billing account id')
  .option('--cycle-day <day>', 'day of the month (1-28, UTC) on which the bill cycle closes', parseIntegerOption)
  .option('--payment-terms <days>', 'days from the bill date to the payment due date', parseIntegerOption)
  .option('--name <name>', 'account name shown on bills')
  .action(async (id: string, opts: { cycleDay?: number; paymentTerms?: number; name?: string }) => {
    if (opts.cycleDay === undefined && opts.paymentTerms === undefined && opts.name === undefined) {
      throw new InvalidArgumentError('nothing to set: give --cycle-day, --payment-terms or --name')
    }
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    try {
      const saved = await configureAccount(id, {
        ...(opts.cycleDay !== undefined ? { billCycleDay: opts.cycleDay } : {}),
        ...(opts.paymentTerms !== undefined ? { paymentTermsDays: opts.paymentTerms } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {})
      }, { store, now: systemClock.now(), defaults: accountDefaults(config) })
      printAccount(saved)
    } finally {
      await store.close()
    }
  })

account.command('show').description('show an account\'s bill cycle day and payment terms')
  .argument('<id>', 'billing account id')
  .action(async (id: string) => {
    const config = loadConfig()
    const store = await openStore(config.databaseUrl)
    try {
      const found = await findAccount(store.db, id)
      if (!found) {
        console.error(`no billing account ${id}`)
        process.exitCode = 1
      } else {
        printAccount(found)
      }
    } finally {
      await store.close()
    }
  })

function printAccount (a: { id: string; name: string | null; billCycleDay: number; paymentTermsDays: number }): void {
  console.log(`account ${a.id}${a.name !== null ? ` (${a.name})` : ''}: bill cycle day ${a.billCycleDay}, payment terms ${a.paymentTermsDays} days`)
}

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
    // NOTE: loaded on use: demo data pulls in the PDF renderer, which the batch commands do not need.
    const { createDemoData } = await import('./demo.ts')
    const result = await createDemoData({ config, store, clock: systemClock, taxConfig: parseTaxConfig(config.taxRules) })
    console.log(`demo data: ${result.rates.created} new rates (${result.rates.duplicates} already there), ${result.bills} new bills, ${result.payments} payments`)
    await store.close()
    if (opts.serve) {
      await listen(config)
      console.log(`tmfbill is listening on ${config.publicUrl} — try ${config.publicUrl}/tmf-api/customerBillManagement/v4/customerBill and ${config.publicUrl}/docs`)
    }
  })

registerDeliveryCommands(program)

program.parseAsync().catch((err: unknown) => {
  // Expected failures (bad configuration, a bad option, a refused value) print one line; anything else its stack.
  if (err instanceof ConfigError || err instanceof InvalidArgumentError) console.error(err.message)
  else if (isDomainError(err)) console.error(`error: ${err.message}`)
  else console.error(err)
  process.exit(1)
})
