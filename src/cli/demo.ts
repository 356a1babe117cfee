import type { Config } from '../config.ts'
import type { Clock } from '../domain/clock.ts'
import { importRates, type ImportLine } from '../domain/import-rates.ts'
import { runBillRun } from '../domain/bill-run.ts'
import { applyPayment } from '../domain/payments.ts'
import { lastClosedPeriod } from '../domain/bill-cycle.ts'
import type { TaxConfig } from '../domain/tax.ts'
import type { Store } from '../store/database.ts'
import { accountDefaults, billingOptions } from '../context.ts'
import { renderPendingDocuments } from '../documents/bill-documents.ts'
import { findOpenBills } from '../store/bills.ts'

interface DemoAccount { id: string; name: string; currency: string; plan: string; fee: string; usage: [string, string, string][] }

// NOTE: A0815 is the account TM Forum's conformance kit asks an on-demand bill for.
const ACCOUNTS: DemoAccount[] = [
  { id: 'A0815', name: 'Jean Dupont', currency: 'EUR', plan: 'Fibre 1G', fee: '39.99', usage: [['Voice to mobile', 'voice', '2.35'], ['Roaming data', 'data', '7.5']] },
  { id: 'BA-1001', name: 'Acme Logistics GmbH', currency: 'EUR', plan: 'Business Mobile 20', fee: '420.00', usage: [['International calls', 'voice', '58.123'], ['Data overage', 'data', '12.5']] },
  { id: 'BA-1002', name: 'Maria Rossi', currency: 'EUR', plan: 'Mobile 50GB', fee: '24.99', usage: [['SMS bundle', 'sms', '3.00']] },
  { id: 'BA-1003', name: 'Northwind Traders Ltd', currency: 'USD', plan: 'SD-WAN 500', fee: '1250.00', usage: [['Burst bandwidth', 'data', '87.335']] },
  { id: 'BA-1004', name: 'Sato Kenji', currency: 'JPY', plan: 'Hikari 10G', fee: '6380', usage: [['Video on demand', 'content', '440']] },
  { id: 'BA-1005', name: 'Gulf Marine Services', currency: 'KWD', plan: 'Satellite Link', fee: '95.250', usage: [['Airtime', 'voice', '4.125']] }
]

function monthStart (d: Date, offset: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1))
}

/** Rates for one account and month: the plan fee on the 1st, usage through the month, a goodwill credit now and then. */
function ratesFor (a: DemoAccount, month: Date, upTo: Date): Record<string, unknown>[] {
  const key = `${a.id}-${month.toISOString().slice(0, 7)}`
  const at = (day: number) => new Date(month.getTime() + (day - 1) * 86_400_000 + 9 * 3_600_000)
  const out: Record<string, unknown>[] = [{
    externalId: `demo-${key}-plan`, date: at(1).toISOString(), type: 'recurringCharge', name: `${a.plan} monthly fee`,
    billingAccount: { id: a.id, name: a.name }, product: { id: `P-${a.id}`, name: a.plan },
    periodCoverage: { startDateTime: month.toISOString(), endDateTime: monthStart(month, 1).toISOString() },
    taxExcludedAmount: { unit: a.currency, value: a.fee }
  }]
  a.usage.forEach(([name, kind, amount], i) => {
    for (const day of [4 + i, 12 + i, 21 + i]) {
      out.push({
        externalId: `demo-${key}-${kind}-${day}`, date: at(day).toISOString(), type: 'usageCharge', name,
        billingAccount: { id: a.id, name: a.name }, product: { id: `P-${a.id}`, name: a.plan },
        characteristic: [{ name: 'usageType', value: kind }],
        taxExcludedAmount: { unit: a.currency, value: amount }
      })
    }
  })
  if (a.id === 'BA-1001') {
    out.push({
      externalId: `demo-${key}-credit`, date: at(15).toISOString(), type: 'appliedBillingCredit', name: 'Goodwill credit',
      billingAccount: { id: a.id, name: a.name }, taxExcludedAmount: { unit: a.currency, value: '-15.00' }
    })
  }
  return out.filter((r) => new Date(r.date as string).getTime() <= upTo.getTime())
}

async function * asLines (records: Record<string, unknown>[]): AsyncGenerator<ImportLine> {
  let line = 0
  for (const record of records) yield { line: ++line, record }
}

/**
 * Demo data through the engine's own paths: two closed months and the current one of rated charges for a
 * handful of accounts in four currencies, a bill run, and payments that leave bills settled and partially
 * paid. Idempotent: the rates carry external ids, so running it again adds only what a new month brings.
 */
export async function createDemoData (deps: { config: Config; store: Store; clock: Clock; taxConfig: TaxConfig }) {
  const now = deps.clock.now()
  const records = ACCOUNTS.flatMap((a) => [-2, -1, 0].flatMap((m) => ratesFor(a, monthStart(now, m), now)))
  const imported = await importRates(asLines(records), {
    store: deps.store, clock: deps.clock, taxConfig: deps.taxConfig, accountDefaults: accountDefaults(deps.config)
  })
  const billing = billingOptions(deps.config, deps.store)
  // Bill the month before last as of its cycle date, then the last month as of today.
  const previous = lastClosedPeriod(now, deps.config.billCycleDay)
  const deps2 = { store: deps.store, clock: deps.clock, billing }
  const first = await runBillRun({ asOf: previous.start, defaultCycleDay: deps.config.billCycleDay }, deps2)
  let payments = 0
  // The older bills are paid before the next run: in full for most accounts, in part for one, not at all for one.
  for (const a of ACCOUNTS) {
    if (a.id === 'BA-1003') continue
    for (const bill of await findOpenBills(deps.store.db, a.id, a.currency, false)) {
      // NOTE: only the older bills: a second `tmfbill demo` must not pay the bills of the last month.
      if (bill.periodEnd > previous.start.toISOString()) continue
      const value = a.id === 'BA-1002' ? '10.00' : bill.remainingAmount
      const paid = await applyPayment({ externalId: `demo-pay-${bill.billNo}`, account: { id: a.id }, totalAmount: { unit: a.currency, value },
        paymentItem: [{ item: { id: bill.id } }] }, { store: deps.store, clock: deps.clock, baseUrl: deps.config.publicUrl })
      if (paid.created) payments++
    }
  }
  const second = await runBillRun({ asOf: now, defaultCycleDay: deps.config.billCycleDay }, deps2)
  await renderPendingDocuments({ store: deps.store, issuerName: deps.config.issuerName, now: () => deps.clock.now() }, 1000)
  return { rates: imported, bills: first.bills + second.bills, payments }
}
