import type { Clock } from './clock.ts'
import type { AccountRecord } from './records.ts'
import { isDomainError } from './errors.ts'
import { type BillingOptions, billAccount } from './bill-account.ts'
import { lastClosedPeriod, nextCycleDate } from './bill-cycle.ts'
import type { Store } from '../store/database.ts'
import { withSavepoint } from '../store/savepoints.ts'
import { findAccounts } from '../store/accounts.ts'
import { findAccountsWithUnbilledRates } from '../store/rates.ts'

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

/** Accounts billed in one transaction, each in its own savepoint, and how long one transaction may stay open. */
const BATCH_ACCOUNTS = 100
const BATCH_MS = 250

/**
 * A bill run: every account with unbilled rates in a closed period gets its bills. Safe to repeat and to run
 * in several processes at once (see billAccount); a run killed at any point leaves each account either fully
 * billed or untouched, and the next run picks up the rest.
 * NOTE: on SQLite accounts are billed up to 100 per transaction (or 250 ms of work), each inside a savepoint, so
 * that an account that fails is undone alone; on PostgreSQL one per transaction (see batchSize). A transaction per account cost a commit per account: on SQLite the WAL
 * pages of every commit plus a checkpoint every few dozen accounts, on PostgreSQL a WAL flush each.
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
    for (let next = 0; next < ids.length;) {
      const batch = await billBatch(ids.slice(next), accounts, asOf, input.defaultCycleDay, deps)
      next += batch.done
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
  /** Accounts handled (billed, skipped or failed), from the start of the list. */
  done: number
  progress: BillRunProgress
  failures: BillRunResult['failures']
  /** An unexpected error: the accounts before it are committed, and the run stops with it. */
  error?: unknown
}

/**
 * Accounts per transaction. NOTE: with row locks (PostgreSQL) each account gets a transaction of its own. A batch
 * holds the bill-number row lock from its first bill until it commits; waiting meanwhile for the next account's
 * rates, which an on-demand bill (or another run) has locked and which then waits for that same bill number, is
 * a deadlock. A bill-number lock held only from the number to the commit never waits for anything. SQLite has
 * one writer at a time and no row locks: batches cannot deadlock there, and they save a commit per account.
 */
function batchSize (billing: BillingOptions): number {
  return billing.lockRows ? 1 : BATCH_ACCOUNTS
}

/** Bills accounts from the start of `ids` in one transaction until the batch is full; see runBillRun. */
async function billBatch (ids: string[], accounts: Map<string, AccountRecord>, asOf: Date, defaultCycleDay: number,
  deps: { store: Store; billing: BillingOptions }): Promise<BatchOutcome> {
  const started = Date.now()
  const outcome: BatchOutcome = { done: 0, progress: { accounts: 0, bills: 0, rates: 0, skipped: 0 }, failures: [] }
  await deps.store.transaction(async (trx) => {
    for (const accountId of ids.slice(0, batchSize(deps.billing))) {
      if (outcome.done > 0 && Date.now() - started > BATCH_MS) break
      const account = accounts.get(accountId) ?? null
      const cycleDay = account?.billCycleDay ?? defaultCycleDay
      const period = lastClosedPeriod(asOf, cycleDay)
      try {
        const bills = await withSavepoint(trx, 'bill_account', () => billAccount(trx, {
          accountId,
          ratesBefore: period.end,
          period,
          billDate: asOf,
          runType: 'onCycle',
          nextBillDate: nextCycleDate(asOf, cycleDay),
          account
        }, deps.billing))
        if (bills.length > 0) outcome.progress.accounts++
        else outcome.progress.skipped++
        outcome.progress.bills += bills.length
        outcome.progress.rates += bills.reduce((n, b) => n + b.rateCount, 0)
      } catch (err) {
        if (!isDomainError(err)) {
          outcome.error = err
          return
        }
        outcome.failures.push({ accountId, reason: err.message })
      }
      outcome.done++
    }
  })
  return outcome
}
