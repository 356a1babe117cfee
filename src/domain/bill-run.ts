import type { Clock } from './clock.ts'
import type { AccountRecord } from './records.ts'
import { isDomainError } from './errors.ts'
import { type BillAccountInput, type BillDraft, type BillingOptions, billAccount, draftBills, writeBills } from './bill-account.ts'
import { lastClosedPeriod, nextCycleDate } from './bill-cycle.ts'
import type { Store } from '../store/database.ts'
import { findAccounts } from '../store/accounts.ts'
import { findCycleBilled } from '../store/bills.ts'
import { findAccountsWithUnbilledRates, findUnbilledRatesOfAccounts } from '../store/rates.ts'

export interface BillRunInput {
  /** The run bills every period closed at this instant (default: now). */
  asOf?: Date
  defaultCycleDay: number
  onProgress?: (p: BillRunProgress) => void
}

export interface BillRunProgress { accounts: number; bills: number; rates: number; skipped: number }

export interface BillRunResult extends BillRunProgress {
  asOf: string
  durationMs: number
  failures: { accountId: string; reason: string }[]
}

/** Accounts billed in one transaction (see runBillRun). */
const BATCH_ACCOUNTS = 100

/**
 * A bill run: every account with unbilled rates in a closed period gets its bills. Safe to repeat and to run
 * in several processes at once (see billAccount); a run killed at any point leaves each account either fully
 * billed or untouched, and the next run picks up the rest.
 * NOTE: accounts are billed 100 per transaction, each kind of row written in a statement or two for the whole
 * batch (billBatch): a transaction and a handful of statements per account made the run spend its time in
 * commits and statement overhead. If a batch fails, its accounts are billed again one per transaction, so that
 * an account that cannot be billed is reported alone and the others go on.
 */
export async function runBillRun (input: BillRunInput, deps: { store: Store; clock: Clock; billing: BillingOptions }): Promise<BillRunResult> {
  const started = Date.now()
  const asOf = input.asOf ?? deps.clock.now()
  const progress: BillRunProgress = { accounts: 0, bills: 0, rates: 0, skipped: 0 }
  const failures: BillRunResult['failures'] = []
  let after: string | null = null
  for (;;) {
    const page = await findAccountsWithUnbilledRates(deps.store.db, asOf.toISOString(), after, 500)
    if (page.length === 0) break
    after = page[page.length - 1]?.accountId ?? null
    const accounts = await findAccounts(deps.store.db, page.map((p) => p.accountId))
    // NOTE: an account whose unbilled rates all fall in its open cycle has nothing to bill: it is skipped without
    // a transaction (a scheduled run ticks every hour and met every account with charges of the month each time).
    const ids = page.filter((p) => Date.parse(p.oldestUnbilled) <
      lastClosedPeriod(asOf, accounts.get(p.accountId)?.billCycleDay ?? input.defaultCycleDay).end.getTime()).map((p) => p.accountId)
    progress.skipped += page.length - ids.length
    for (let next = 0; next < ids.length; next += BATCH_ACCOUNTS) {
      const chunk = ids.slice(next, next + BATCH_ACCOUNTS)
      let batch: BatchOutcome
      try {
        batch = await billBatch(chunk, accounts, asOf, input.defaultCycleDay, deps)
      } catch {
        batch = await billOneByOne(chunk, accounts, asOf, input.defaultCycleDay, deps)
      }
      progress.accounts += batch.progress.accounts
      progress.skipped += batch.progress.skipped
      progress.bills += batch.progress.bills
      progress.rates += batch.progress.rates
      failures.push(...batch.failures)
      if (batch.error !== undefined) throw batch.error
    }
    input.onProgress?.({ ...progress })
  }
  return { ...progress, asOf: asOf.toISOString(), durationMs: Date.now() - started, failures }
}

interface BatchOutcome {
  progress: BillRunProgress
  failures: BillRunResult['failures']
  /** An unexpected error: the accounts before it are committed, and the run stops with it. */
  error?: unknown
}

/** What billAccount needs to bill one account of the run: its closed period and next cycle date. */
function cycleInput (accountId: string, accounts: Map<string, AccountRecord>, asOf: Date, defaultCycleDay: number): BillAccountInput {
  const account = accounts.get(accountId) ?? null
  const cycleDay = account?.billCycleDay ?? defaultCycleDay
  const period = lastClosedPeriod(asOf, cycleDay)
  return { accountId, ratesBefore: period.end, period, billDate: asOf, runType: 'onCycle', nextBillDate: nextCycleDate(asOf, cycleDay), account }
}

/**
 * Bills the accounts `ids` in one transaction: their unbilled rates and existing cycle bills are read in one
 * statement per billing period (accounts with the same cycle day share theirs), the bills are computed in memory
 * and written together by writeBills. Throws if any write fails; nothing of the batch is then stored.
 * NOTE: on PostgreSQL the rates are locked (in account, date, id order) before the bill numbers are taken, and
 * nothing is waited for after that: the bill-number row lock is held only from the numbers to the commit, so
 * a concurrent on-demand bill or run in another process waits for this batch, never deadlocks with it.
 */
async function billBatch (ids: string[], accounts: Map<string, AccountRecord>, asOf: Date, defaultCycleDay: number,
  deps: { store: Store; billing: BillingOptions }): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { progress: { accounts: 0, bills: 0, rates: 0, skipped: 0 }, failures: [] }
  const byPeriod = new Map<string, BillAccountInput[]>()
  for (const id of ids) {
    const unit = cycleInput(id, accounts, asOf, defaultCycleDay)
    const key = `${unit.period.start.toISOString()}/${unit.period.end.toISOString()}`
    const units = byPeriod.get(key)
    if (units) units.push(unit)
    else byPeriod.set(key, [unit])
  }
  await deps.store.transaction(async (trx) => {
    const drafts: BillDraft[] = []
    for (const [, units] of [...byPeriod].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const { start, end } = (units[0] as BillAccountInput).period
      const unitIds = units.map((u) => u.accountId)
      const rates = await findUnbilledRatesOfAccounts(trx, unitIds, end.toISOString(), deps.billing.lockRows)
      const billed = await findCycleBilled(trx, unitIds, start.toISOString(), end.toISOString())
      for (const unit of units) {
        try {
          const made = draftBills(unit, rates.get(unit.accountId) ?? [], unit.account ?? null, billed, deps.billing)
          if (made.length > 0) outcome.progress.accounts++
          else outcome.progress.skipped++
          outcome.progress.bills += made.length
          outcome.progress.rates += made.reduce((n, d) => n + d.rates.length, 0)
          drafts.push(...made)
        } catch (err) {
          if (!isDomainError(err)) throw err
          outcome.failures.push({ accountId: unit.accountId, reason: err.message })
        }
      }
    }
    await writeBills(trx, drafts, deps.billing)
  })
  return outcome
}

/** A failed batch again, one account per transaction: what fails now is that account's own failure. */
async function billOneByOne (ids: string[], accounts: Map<string, AccountRecord>, asOf: Date, defaultCycleDay: number,
  deps: { store: Store; billing: BillingOptions }): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { progress: { accounts: 0, bills: 0, rates: 0, skipped: 0 }, failures: [] }
  for (const accountId of ids) {
    try {
      const bills = await deps.store.transaction((trx) => billAccount(trx, cycleInput(accountId, accounts, asOf, defaultCycleDay), deps.billing))
      if (bills.length > 0) outcome.progress.accounts++
      else outcome.progress.skipped++
      outcome.progress.bills += bills.length
      outcome.progress.rates += bills.reduce((n, b) => n + b.rateCount, 0)
    } catch (err) {
      if (!isDomainError(err)) {
        outcome.error = err
        return outcome
      }
      outcome.failures.push({ accountId, reason: err.message })
    }
  }
  return outcome
}
