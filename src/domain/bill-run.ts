import type { Clock } from './clock.ts'
import { isDomainError } from './errors.ts'
import { type BillingOptions, billAccount } from './bill-account.ts'
import { lastClosedPeriod, nextCycleDate } from './bill-cycle.ts'
import type { Store } from '../store/database.ts'
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

/**
 * A bill run: every account with unbilled rates in a closed period gets its bills, one transaction per
 * account. Safe to repeat and to run in several processes at once (see billAccount); a run killed at any
 * point leaves each account either fully billed or untouched, and the next run picks up the rest.
 */
export async function runBillRun (input: BillRunInput, deps: { store: Store; clock: Clock; billing: BillingOptions }): Promise<BillRunResult> {
  const started = Date.now()
  const asOf = input.asOf ?? deps.clock.now()
  const progress: BillRunProgress = { accounts: 0, bills: 0, rates: 0, skipped: 0 }
  const failures: BillRunResult['failures'] = []
  let after: string | null = null
  for (;;) {
    const ids = await findAccountsWithUnbilledRates(deps.store.db, asOf.toISOString(), after, 500)
    if (ids.length === 0) break
    after = ids[ids.length - 1] ?? null
    const accounts = await findAccounts(deps.store.db, ids)
    for (const accountId of ids) {
      const account = accounts.get(accountId) ?? null
      const cycleDay = account?.billCycleDay ?? input.defaultCycleDay
      const period = lastClosedPeriod(asOf, cycleDay)
      try {
        const bills = await deps.store.transaction((trx) => billAccount(trx, {
          accountId,
          ratesBefore: period.end,
          period,
          billDate: asOf,
          runType: 'onCycle',
          nextBillDate: nextCycleDate(asOf, cycleDay),
          account
        }, deps.billing))
        if (bills.length > 0) progress.accounts++
        else progress.skipped++
        progress.bills += bills.length
        progress.rates += bills.reduce((n, b) => n + b.rateCount, 0)
      } catch (err) {
        if (!isDomainError(err)) throw err
        failures.push({ accountId, reason: err.message })
      }
    }
    input.onProgress?.({ ...progress })
  }
  return { ...progress, asOf: asOf.toISOString(), durationMs: Date.now() - started, failures }
}
