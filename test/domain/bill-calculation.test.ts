import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isDomainError } from '../../src/domain/errors.ts'
import { calculateBill, groupRatesForDocument, type BillableRate, type BillTotals } from '../../src/domain/bill-calculation.ts'
import { ROUNDING_MODES, minorUnits, toAmountString, toDecimal, type Decimal, type RoundingMode } from '../../src/domain/money.ts'
import { DEFAULT_TAX_CONFIG, taxForRate } from '../../src/domain/tax.ts'

/** A rate taxed by the demo configuration (20 % VAT). */
function rate (id: string, amount: string, currency = 'EUR', extra: Partial<BillableRate> = {}): BillableRate {
  const taxExcludedAmount = toDecimal(amount)
  return { id, currency, taxExcludedAmount, taxLines: taxForRate({ taxExcludedAmount, currency }, DEFAULT_TAX_CONFIG), ...extra }
}

/** What a customer reads on the bill. */
function printed (totals: BillTotals): Record<string, unknown> {
  const money = (d: Decimal): string => toAmountString(d, totals.currency)
  return {
    currency: totals.currency,
    taxExcludedAmount: money(totals.taxExcludedAmount),
    taxItems: totals.taxItems.map((t) => `${t.taxCategory} ${t.taxRate.toFixed()} ${money(t.taxAmount)}`),
    taxIncludedAmount: money(totals.taxIncludedAmount),
    amountDue: money(totals.amountDue)
  }
}

function rejectsWith (code: string, fn: () => unknown, messagePart: string): void {
  assert.throws(fn, (err: unknown) => isDomainError(err) && err.code === code && err.message.includes(messagePart))
}

test('three EUR rates at 20 % VAT: the exact sum is rounded once', () => {
  const rates = [rate('a', '10.005'), rate('b', '0.10'), rate('c', '19.99')]
  // 10.005 + 0.10 + 19.99 = 30.095 → 30.10; tax 30.095 × 0.2 = 6.019 → 6.02; 30.10 + 6.02 = 36.12
  assert.deepEqual(printed(calculateBill(rates, { rounding: 'halfUp' })), {
    currency: 'EUR', taxExcludedAmount: '30.10', taxItems: ['VAT 0.2 6.02'], taxIncludedAmount: '36.12', amountDue: '36.12'
  })
  // Rounding towards zero: 30.09, tax 6.01, due 36.10.
  assert.deepEqual(printed(calculateBill(rates, { rounding: 'down' })), {
    currency: 'EUR', taxExcludedAmount: '30.09', taxItems: ['VAT 0.2 6.01'], taxIncludedAmount: '36.10', amountDue: '36.10'
  })
})

test('a thousand sub-cent usage rates add up instead of vanishing', () => {
  const rates = Array.from({ length: 1000 }, (_, i) => rate(`u${i}`, '0.004'))
  const totals = printed(calculateBill(rates, { rounding: 'halfUp' }))
  assert.equal(totals.taxExcludedAmount, '4.00')
  assert.deepEqual(totals.taxItems, ['VAT 0.2 0.80'])
  assert.equal(totals.amountDue, '4.80')
})

test('JPY bills have no decimals and KWD bills have three', () => {
  // 100.4 + 200.4 = 300.8 → 301; tax 60.16 → 60; due 361
  assert.deepEqual(printed(calculateBill([rate('a', '100.4', 'JPY'), rate('b', '200.4', 'JPY')], { rounding: 'halfUp' })), {
    currency: 'JPY', taxExcludedAmount: '301', taxItems: ['VAT 0.2 60'], taxIncludedAmount: '361', amountDue: '361'
  })
  // 1.0005 + 2.0005 = 3.001; tax 0.6002 → 0.600; due 3.601
  assert.deepEqual(printed(calculateBill([rate('a', '1.0005', 'KWD'), rate('b', '2.0005', 'KWD')], { rounding: 'halfUp' })), {
    currency: 'KWD', taxExcludedAmount: '3.001', taxItems: ['VAT 0.2 0.600'], taxIncludedAmount: '3.601', amountDue: '3.601'
  })
})

test('one tax item per category and rate, in category then rate order', () => {
  const line = (taxCategory: string, taxRate: string, taxAmount: string) => ({ taxCategory, taxRate: toDecimal(taxRate), taxAmount: toDecimal(taxAmount) })
  const rates: BillableRate[] = [
    { id: 'a', currency: 'EUR', taxExcludedAmount: toDecimal('10'), taxLines: [line('VAT', '0.20', '2'), line('Levy', '0.015', '0.15')] },
    { id: 'b', currency: 'EUR', taxExcludedAmount: toDecimal('10.01'), taxLines: [line('VAT', '0.055', '0.55055')] },
    { id: 'c', currency: 'EUR', taxExcludedAmount: toDecimal('0.03'), taxLines: [line('VAT', '0.2', '0.006')] }
  ]
  assert.deepEqual(printed(calculateBill(rates, { rounding: 'halfUp' })), {
    currency: 'EUR',
    taxExcludedAmount: '20.04',
    taxItems: ['Levy 0.015 0.15', 'VAT 0.055 0.55', 'VAT 0.2 2.01'],
    taxIncludedAmount: '22.75',
    amountDue: '22.75'
  })
})

test('credits larger than the charges make a credit note with negative totals', () => {
  const totals = printed(calculateBill([rate('fee', '10.00'), rate('refund', '-25.005')], { rounding: 'halfUp' }))
  // 10 − 25.005 = −15.005 → −15.01 (half away from zero); tax −3.001 → −3.00; due −18.01
  assert.deepEqual(totals, {
    currency: 'EUR', taxExcludedAmount: '-15.01', taxItems: ['VAT 0.2 -3.00'], taxIncludedAmount: '-18.01', amountDue: '-18.01'
  })
})

test('a bill has exactly one currency and at least one rate', () => {
  rejectsWith('CURRENCY_MISMATCH', () => calculateBill([rate('a', '1'), rate('b', '1', 'USD')], { rounding: 'halfUp' }), 'rate b is in USD')
  rejectsWith('NOTHING_TO_BILL', () => calculateBill([], { rounding: 'halfUp' }), 'at least one rate')
  rejectsWith('INVALID_MONEY', () => calculateBill([{ id: 'a', currency: 'XYZ', taxExcludedAmount: toDecimal('1'), taxLines: [] }], { rounding: 'halfUp' }), 'XYZ')
})

test('document lines are grouped by product, then by rate type, with exact amounts', () => {
  const lines = groupRatesForDocument([
    rate('1', '10.005', 'EUR', { productName: 'Mobile', name: 'Calls' }),
    rate('2', '-5', 'EUR', { type: 'appliedBillingCredit', name: 'Goodwill' }),
    rate('3', '0.1', 'EUR', { productName: 'Fibre', name: 'Monthly fee' }),
    rate('4', '3', 'EUR', { productName: 'Mobile' })
  ])
  assert.deepEqual(lines, [
    { group: 'Credits', description: 'Goodwill', amount: '-5.00' },
    { group: 'Fibre', description: 'Monthly fee', amount: '0.10' },
    { group: 'Mobile', description: 'Calls', amount: '10.005' },
    { group: 'Mobile', description: 'Mobile', amount: '3.00' }
  ])
})

// ---------------------------------------------------------------------------------------------------------
// Properties, checked against an independent model in scaled BigInt arithmetic.

const SCALE = 10 // amounts have up to 6 decimals and tax rates up to 4, so amount × rate is exact at 10^-10

/** A decimal string with up to 6 decimals, possibly negative. */
const amountArb = fc.tuple(fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), fc.integer({ min: 0, max: 6 }))
  .map(([units, decimals]) => formatScaled(units, decimals))
const taxRateArb = fc.oneof(fc.constantFrom('0', '0.05', '0.1', '0.2', '0.20', '0.055', '0.0725'),
  fc.integer({ min: 0, max: 10_000 }).map((n) => formatScaled(BigInt(n), 4)))
const rateArb = fc.record({ amount: amountArb, taxRate: taxRateArb, taxCategory: fc.constantFrom('VAT', 'GST', 'Levy') })
const billArb = fc.record({
  currency: fc.constantFrom('JPY', 'EUR', 'KWD'),
  mode: fc.constantFrom(...ROUNDING_MODES),
  rates: fc.array(rateArb, { minLength: 1, maxLength: 30 })
})

function formatScaled (units: bigint, decimals: number): string {
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0')
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`
  return negative ? `-${text}` : text
}

function toScaled (text: string): bigint {
  const [integer = '0', fraction = ''] = text.replace('-', '').split('.')
  const value = BigInt(integer + fraction.padEnd(SCALE, '0'))
  return text.startsWith('-') ? -value : value
}

/** Rounds a value at 10^-SCALE to `digits` decimals with the given mode; returns the decimal text. */
function roundScaled (value: bigint, digits: number, mode: RoundingMode): string {
  const divisor = 10n ** BigInt(SCALE - digits)
  const sign = value < 0n ? -1n : 1n
  let quotient = value / divisor
  const remainder = value % divisor
  if (remainder !== 0n) {
    const twice = 2n * (remainder < 0n ? -remainder : remainder)
    const awayFromZero = mode === 'up' || (mode === 'ceiling' && sign > 0n) || (mode === 'floor' && sign < 0n) ||
      (mode.startsWith('half') && (twice > divisor ||
        (twice === divisor && (mode === 'halfUp' || (mode === 'halfEven' && quotient % 2n !== 0n)))))
    if (awayFromZero) quotient += sign
  }
  return formatScaled(quotient, digits).replace(/^-(0(\.0*)?)$/, '$1')
}

function toBillable (currency: string, rates: { amount: string; taxRate: string; taxCategory: string }[]): BillableRate[] {
  const config = { rules: [], default: null }
  return rates.map((r, i) => {
    const taxExcludedAmount = toDecimal(r.amount)
    const taxLines = taxForRate({ taxExcludedAmount, currency }, { ...config, default: { taxCategory: r.taxCategory, taxRate: r.taxRate } })
    return { id: `r${i}`, currency, taxExcludedAmount, taxLines }
  })
}

test('property: totals are the exact sums rounded once per total, for any rates, currency and mode', () => {
  fc.assert(fc.property(billArb, ({ currency, mode, rates }) => {
    const digits = minorUnits(currency)
    const totals = calculateBill(toBillable(currency, rates), { rounding: mode })

    const expectedExcluded = roundScaled(rates.reduce((s, r) => s + toScaled(r.amount), 0n), digits, mode)
    assert.equal(totals.taxExcludedAmount.toFixed(digits), expectedExcluded)

    const groups = new Map<string, bigint>()
    for (const r of rates) {
      const key = `${r.taxCategory} ${toDecimal(r.taxRate).toFixed()}`
      const tax = toScaled(r.amount) * toScaled(r.taxRate) / 10n ** BigInt(SCALE)
      groups.set(key, (groups.get(key) ?? 0n) + tax)
    }
    const expectedItems = [...groups.entries()].map(([key, tax]) => `${key} ${roundScaled(tax, digits, mode)}`).sort()
    assert.deepEqual(totals.taxItems.map((t) => `${t.taxCategory} ${t.taxRate.toFixed()} ${t.taxAmount.toFixed(digits)}`).sort(), expectedItems)

    const itemsTotal = totals.taxItems.reduce((s, t) => s + toScaled(t.taxAmount.toFixed()), 0n)
    assert.equal(toScaled(totals.taxIncludedAmount.toFixed()), toScaled(totals.taxExcludedAmount.toFixed()) + itemsTotal)
    assert.ok(totals.amountDue.equals(totals.taxIncludedAmount))
  }), { numRuns: 300 })
})

test('property: every total respects the currency minor unit', () => {
  fc.assert(fc.property(billArb, ({ currency, mode, rates }) => {
    const totals = calculateBill(toBillable(currency, rates), { rounding: mode })
    const amounts = [totals.taxExcludedAmount, totals.taxIncludedAmount, totals.amountDue, ...totals.taxItems.map((t) => t.taxAmount)]
    for (const amount of amounts) assert.ok(amount.decimalPlaces() <= minorUnits(currency), `${amount.toFixed()} ${currency}`)
  }), { numRuns: 200 })
})

test('property: the order of the rates does not change the bill', () => {
  const arb = billArb.chain((bill) => fc.tuple(fc.constant(bill),
    fc.shuffledSubarray(bill.rates, { minLength: bill.rates.length, maxLength: bill.rates.length })))
  fc.assert(fc.property(arb, ([{ currency, mode, rates }, shuffled]) => {
    assert.deepEqual(printed(calculateBill(toBillable(currency, shuffled), { rounding: mode })),
      printed(calculateBill(toBillable(currency, rates), { rounding: mode })))
  }), { numRuns: 200 })
})
