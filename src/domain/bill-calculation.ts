import { DomainError, ErrorCodes } from './errors.ts'
import { minorUnits, roundMoney, sumAmounts, toAmountString, type Decimal, type RoundingMode } from './money.ts'
import type { RateTaxLine } from './tax.ts'

/**
 * The pure fee and tax calculation of one bill: no clock, no store. The rounding rule (one rounding of
 * the exact sum, one per tax group) is explained in docs/decisions/0003-money-and-rounding.md.
 */

export interface BillableRate {
  id: string
  currency: string
  /** Exact amount of the rate; negative for credits. */
  taxExcludedAmount: Decimal
  taxLines: RateTaxLine[]
  type?: string
  productId?: string
  productName?: string
  name?: string
}

export interface BillTaxItem {
  taxCategory: string
  taxRate: Decimal
  taxAmount: Decimal
}

export interface BillTotals {
  currency: string
  taxExcludedAmount: Decimal
  /** One item per (taxCategory, taxRate), ordered by category then rate. */
  taxItems: BillTaxItem[]
  taxIncludedAmount: Decimal
  amountDue: Decimal
}

export interface BillDocumentLine {
  description: string
  group: string
  amount: string
}

/**
 * Totals of one bill. NOTE: each total is rounded once, from exact sums, so the result does not depend on
 * the order of the rates and a thousand 0.004 EUR usage rates bill as 4.00 EUR, not 0.00 EUR. A bill whose
 * credits outweigh its charges has negative totals: it is a credit note, and the caller decides what to do.
 */
export function calculateBill (rates: readonly BillableRate[], opts: { rounding: RoundingMode }): BillTotals {
  const currency = billCurrency(rates)
  const taxExcludedAmount = roundMoney(sumAmounts(rates.map((r) => r.taxExcludedAmount)), currency, opts.rounding)
  const taxItems = groupTaxLines(rates.flatMap((r) => r.taxLines)).map((group) => ({
    taxCategory: group.taxCategory,
    taxRate: group.taxRate,
    taxAmount: roundMoney(sumAmounts(group.amounts), currency, opts.rounding)
  }))
  const taxIncludedAmount = taxExcludedAmount.plus(sumAmounts(taxItems.map((t) => t.taxAmount)))
  return { currency, taxExcludedAmount, taxItems, taxIncludedAmount, amountDue: taxIncludedAmount }
}

/**
 * The charge lines of a bill document, grouped by product (or by rate type when there is no product).
 * Amounts are the exact rate amounts with at least the currency's minor digits; groups are in name order
 * and lines keep the order they were given in.
 */
export function groupRatesForDocument (rates: readonly BillableRate[]): BillDocumentLine[] {
  const lines = rates.map((rate) => ({
    group: rate.productName ?? rate.productId ?? describeType(rate.type),
    description: rate.name ?? rate.productName ?? describeType(rate.type),
    amount: toAmountString(rate.taxExcludedAmount, rate.currency)
  }))
  return lines
    .map((line, index) => ({ line, index }))
    .sort((a, b) => compareText(a.line.group, b.line.group) || a.index - b.index)
    .map(({ line }) => line)
}

function billCurrency (rates: readonly BillableRate[]): string {
  const first = rates[0]
  if (first === undefined) throw new DomainError(ErrorCodes.NOTHING_TO_BILL, 'a bill needs at least one rate')
  minorUnits(first.currency)
  const other = rates.find((r) => r.currency !== first.currency)
  if (other !== undefined) {
    throw new DomainError(ErrorCodes.CURRENCY_MISMATCH,
      `one bill has one currency: rate ${first.id} is in ${first.currency} but rate ${other.id} is in ${other.currency}`)
  }
  return first.currency
}

interface TaxGroup { taxCategory: string; taxRate: Decimal; amounts: Decimal[] }

function groupTaxLines (lines: readonly RateTaxLine[]): TaxGroup[] {
  const groups = new Map<string, TaxGroup>()
  for (const line of lines) {
    // NOTE: the key uses the normalised rate, so '0.2' and '0.20' are the same tax item.
    const key = `${line.taxCategory}\u0000${line.taxRate.toFixed()}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { taxCategory: line.taxCategory, taxRate: line.taxRate, amounts: [line.taxAmount] })
    else group.amounts.push(line.taxAmount)
  }
  return [...groups.values()].sort((a, b) => compareText(a.taxCategory, b.taxCategory) || a.taxRate.comparedTo(b.taxRate))
}

const TYPE_LABELS: Record<string, string> = {
  appliedBillingCharge: 'Charges',
  appliedBillingCredit: 'Credits',
  appliedPenaltyCharge: 'Penalty charges'
}

function describeType (type: string | undefined): string {
  if (type === undefined || type === '') return 'Other charges'
  return TYPE_LABELS[type] ?? type
}

function compareText (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
