import type { Transaction } from 'kysely'
import type { AccountRecord, BillRecord, RateRecord } from './records.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import { newId } from './ids.ts'
import { type RoundingMode, toDecimal, toWireNumber, toAmountString } from './money.ts'
import { type BillableRate, calculateBill } from './bill-calculation.ts'
import { billResource } from './resources.ts'
import { findAccount } from '../store/accounts.ts'
import { findCycleBill, insertBill } from '../store/bills.ts'
import { insertBillDocument } from '../store/documents.ts'
import { findUnbilledRates, markRatesBilled } from '../store/rates.ts'
import { nextSequenceValue } from '../store/sequences.ts'
import type { Database } from '../store/types.ts'
import { enqueueEvent } from '../events/outbox.ts'

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
  const account = input.account !== undefined ? input.account : await findAccount(trx, input.accountId)
  const bills: ProducedBill[] = []
  for (const [currency, group] of groupByCurrency(rates)) {
    if (input.runType === 'onCycle' &&
      await findCycleBill(trx, input.accountId, input.period.start.toISOString(), input.period.end.toISOString(), currency)) {
      continue // this period was billed already; late rates wait for the next period's bill
    }
    const bill = await createBill(trx, input, group, currency, account?.paymentTermsDays ?? opts.defaultPaymentTermsDays,
      account?.name ?? null, opts)
    bills.push({ bill, rateCount: group.length })
  }
  return bills
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

async function createBill (trx: Transaction<Database>, input: BillAccountInput, rates: RateRecord[], currency: string,
  paymentTermsDays: number, accountName: string | null, opts: BillingOptions): Promise<BillRecord> {
  const totals = calculateBill(rates.map(billableRate), { rounding: opts.rounding })
  const seq = await nextSequenceValue(trx, 'bill_no')
  const billNo = `${opts.billNumberPrefix}${String(seq).padStart(8, '0')}`
  const id = newId()
  const documentId = newId()
  const at = input.billDate.toISOString()
  const due = new Date(input.billDate.getTime() + paymentTermsDays * 86_400_000).toISOString()
  const money = (d: ReturnType<typeof toDecimal>) => ({ unit: currency, value: toWireNumber(d) })
  const bill: BillRecord = {
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
  await insertBill(trx, bill)
  const marked = await markRatesBilled(trx, rates.map((r) => r.id), id)
  if (marked !== rates.length) {
    // Another process billed some of these rates between our read and our write: give up this unit of work.
    throw new DomainError(ErrorCodes.CONFLICT, 'Concurrent billing', `Rates of account ${input.accountId} changed while billing`)
  }
  await insertBillDocument(trx, { id: documentId, billId: id, mimeType: 'application/pdf' })
  await enqueueEvent(trx, 'CustomerBillCreateEvent', billResource(bill, opts.baseUrl), input.billDate)
  return bill
}
