import type { Transaction } from 'kysely'
import type { AccountRecord, BillRecord, RateRecord } from './records.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import { newId } from './ids.ts'
import { type RoundingMode, toDecimal, toWireNumber, toAmountString } from './money.ts'
import { type BillableRate, type BillTotals, calculateBill } from './bill-calculation.ts'
import { billResource } from './resources.ts'
import { findAccount } from '../store/accounts.ts'
import { cycleBillKey, findCycleBilled, insertBills } from '../store/bills.ts'
import { insertBillDocuments } from '../store/documents.ts'
import { findUnbilledRates, markRatesBilledByBill } from '../store/rates.ts'
import { nextSequenceValues } from '../store/sequences.ts'
import type { Database } from '../store/types.ts'
import { enqueueEvents } from '../events/outbox.ts'

export interface BillingOptions {
  rounding: RoundingMode
  billNumberPrefix: string
  defaultPaymentTermsDays: number
  baseUrl: string
  /** Lock the rates being billed (PostgreSQL) so that concurrent runs in other processes wait for this one. */
  lockRows: boolean
}

export interface BillAccountInput {
  accountId: string
  /** Rates dated before this instant are billed (older leftovers included: nothing is ever left behind). */
  ratesBefore: Date
  period: { start: Date; end: Date }
  billDate: Date
  runType: 'onCycle' | 'offCycle'
  nextBillDate?: Date
  onDemandId?: string
  /** The account's settings when the caller has read them already (null: not registered); read here otherwise. */
  account?: AccountRecord | null
}

/**
 * One unit of work of a bill run: turns an account's unbilled rates into one bill per currency, marks the
 * rates billed, reserves the bill's document and records the CustomerBillCreateEvent, all in the caller's
 * transaction. On-cycle bills are unique per (account, period, currency) in the database, so a repeated or
 * concurrent run creates nothing twice.
 */
export interface ProducedBill { bill: BillRecord; rateCount: number }

export async function billAccount (trx: Transaction<Database>, input: BillAccountInput, opts: BillingOptions): Promise<ProducedBill[]> {
  const rates = await findUnbilledRates(trx, input.accountId, input.ratesBefore.toISOString(), opts.lockRows)
  if (rates.length === 0) return []
  const account = input.account !== undefined ? input.account : (await findAccount(trx, input.accountId) ?? null)
  const billed = input.runType === 'onCycle'
    ? await findCycleBilled(trx, [input.accountId], input.period.start.toISOString(), input.period.end.toISOString())
    : new Set<string>()
  return writeBills(trx, draftBills(input, rates, account, billed, opts), opts)
}

/** A bill computed but not yet numbered nor stored. */
export interface BillDraft {
  input: BillAccountInput
  currency: string
  rates: RateRecord[]
  totals: BillTotals
  paymentTermsDays: number
  accountName: string | null
}

/**
 * The bills an account's unbilled rates make, one per currency (pure: no I/O). A currency whose on-cycle bill
 * of the period exists already (`billed`, see findCycleBilled) is left out: its late rates wait for the next period.
 */
export function draftBills (input: BillAccountInput, rates: RateRecord[], account: AccountRecord | null, billed: Set<string>,
  opts: BillingOptions): BillDraft[] {
  const drafts: BillDraft[] = []
  for (const [currency, group] of groupByCurrency(rates)) {
    if (input.runType === 'onCycle' && billed.has(cycleBillKey(input.accountId, currency))) continue
    drafts.push({
      input,
      currency,
      rates: group,
      totals: calculateBill(group.map(billableRate), { rounding: opts.rounding }),
      paymentTermsDays: account?.paymentTermsDays ?? opts.defaultPaymentTermsDays,
      accountName: account?.name ?? null
    })
  }
  return drafts
}

/**
 * Stores drafted bills in the caller's transaction: numbers them from the gap-free counter in one step, inserts
 * them, marks their rates billed, reserves their documents and records their CustomerBillCreateEvents. A bill
 * run's batch writes all its bills in one call, a statement or two per kind of row rather than a few per bill.
 * NOTE: the bill number is taken after the rates were locked and nothing is waited for after it (see bill-run.ts).
 */
export async function writeBills (trx: Transaction<Database>, drafts: BillDraft[], opts: BillingOptions): Promise<ProducedBill[]> {
  if (drafts.length === 0) return []
  const first = await nextSequenceValues(trx, 'bill_no', drafts.length)
  const bills = drafts.map((draft, i) => buildBill(draft, `${opts.billNumberPrefix}${String(first + i).padStart(8, '0')}`))
  await insertBills(trx, bills)
  const rateCount = drafts.reduce((n, d) => n + d.rates.length, 0)
  const marked = await markRatesBilledByBill(trx, drafts.map((draft, i) => ({ billId: (bills[i] as BillRecord).id, rateIds: draft.rates.map((r) => r.id) })))
  if (marked !== rateCount) {
    // Another process billed some of these rates between our read and our write: give up this unit of work.
    const accounts = [...new Set(drafts.map((d) => d.input.accountId))]
    throw new DomainError(ErrorCodes.CONFLICT, 'Concurrent billing', `Rates of account ${accounts.join(', ')} changed while billing`)
  }
  await insertBillDocuments(trx, bills.map((bill) => ({ id: documentIdOf(bill), billId: bill.id, mimeType: 'application/pdf' })))
  await enqueueEvents(trx, 'CustomerBillCreateEvent', bills.map((bill, i) => ({
    resource: billResource(bill, opts.baseUrl), at: (drafts[i] as BillDraft).input.billDate
  })))
  return bills.map((bill, i) => ({ bill, rateCount: (drafts[i] as BillDraft).rates.length }))
}

function documentIdOf (bill: BillRecord): string {
  return ((bill.body.billDocument as { id: string }[])[0] as { id: string }).id
}

function groupByCurrency (rates: RateRecord[]): Map<string, RateRecord[]> {
  const groups = new Map<string, RateRecord[]>()
  for (const r of rates) {
    const g = groups.get(r.currency)
    if (g) g.push(r)
    else groups.set(r.currency, [r])
  }
  return groups
}

export function billableRate (r: RateRecord): BillableRate {
  const taxes = (r.body.appliedTax as { taxCategory: string; taxRate: number; taxAmount: { value: number } }[] | undefined) ?? []
  const product = r.body.product as { id?: string; name?: string } | undefined
  return {
    id: r.id,
    currency: r.currency,
    taxExcludedAmount: toDecimal(r.taxExcludedAmount),
    taxLines: taxes.map((t) => ({
      taxCategory: t.taxCategory,
      taxRate: toDecimal(String(t.taxRate)),
      taxAmount: toDecimal(String(t.taxAmount.value))
    })),
    ...(r.type !== null ? { type: r.type } : {}),
    ...(r.productId !== null ? { productId: r.productId } : {}),
    ...(product?.name !== undefined ? { productName: product.name } : {}),
    ...(typeof r.body.name === 'string' ? { name: r.body.name } : {})
  }
}

function buildBill ({ input, currency, totals, paymentTermsDays, accountName }: BillDraft, billNo: string): BillRecord {
  const id = newId()
  const documentId = newId()
  const at = input.billDate.toISOString()
  const due = new Date(input.billDate.getTime() + paymentTermsDays * 86_400_000).toISOString()
  const money = (d: ReturnType<typeof toDecimal>) => ({ unit: currency, value: toWireNumber(d) })
  return {
    id,
    billNo,
    billingAccountId: input.accountId,
    state: 'new',
    runType: input.runType,
    category: 'normal',
    currency,
    billDate: at,
    periodStart: input.period.start.toISOString(),
    periodEnd: input.period.end.toISOString(),
    paymentDueDate: due,
    amountDue: toAmountString(totals.amountDue),
    remainingAmount: toAmountString(totals.amountDue),
    onDemandId: input.onDemandId !== undefined ? `${input.onDemandId}/${currency}` : null,
    lastUpdate: at,
    body: {
      billNo,
      runType: input.runType,
      category: 'normal',
      billDate: at,
      billingPeriod: { startDateTime: input.period.start.toISOString(), endDateTime: input.period.end.toISOString() },
      paymentDueDate: due,
      ...(input.nextBillDate ? { nextBillDate: input.nextBillDate.toISOString() } : {}),
      amountDue: money(totals.amountDue),
      taxExcludedAmount: money(totals.taxExcludedAmount),
      taxIncludedAmount: money(totals.taxIncludedAmount),
      taxItem: totals.taxItems.map((t) => ({
        taxCategory: t.taxCategory,
        taxRate: t.taxRate.toNumber(),
        taxAmount: money(t.taxAmount),
        '@type': 'TaxItem'
      })),
      billingAccount: {
        id: input.accountId,
        ...(accountName !== null ? { name: accountName } : {}),
        '@type': 'BillingAccountRef',
        '@referredType': 'BillingAccount'
      },
      billDocument: [{
        id: documentId,
        name: `${billNo}.pdf`,
        mimeType: 'application/pdf',
        attachmentType: 'invoice',
        description: `Invoice ${billNo}`,
        '@type': 'AttachmentRefOrValue'
      }],
      appliedPayment: [],
      '@type': 'CustomerBill'
    }
  }
}
