import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDomainError } from '../../src/domain/errors.ts'
import { toDecimal } from '../../src/domain/money.ts'
import { DEFAULT_TAX_CONFIG, parseTaxConfig, taxForRate, type RateTaxLine, type TaxConfig } from '../../src/domain/tax.ts'

function rejectsWith (code: string, fn: () => unknown, messagePart?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isDomainError(err), `expected a DomainError, got ${String(err)}`)
    assert.equal(err.code, code)
    if (messagePart !== undefined) assert.ok(err.message.includes(messagePart), `"${err.message}" should mention ${messagePart}`)
    return true
  })
}

function show (lines: RateTaxLine[]): string[] {
  return lines.map((l) => `${l.taxCategory} ${l.taxRate.toFixed()} ${l.taxAmount.toFixed()}`)
}

const config: TaxConfig = parseTaxConfig({
  rules: [
    { taxCategory: 'VAT reduced', taxRate: '0.055', match: { productId: 'ebook' } },
    { taxCategory: 'exempt', taxRate: '0', match: { type: 'appliedPenaltyCharge' } },
    { taxCategory: 'Telecom levy', taxRate: 0.07, match: { rateType: 'usageCharge' } }
  ],
  default: { taxCategory: 'VAT', taxRate: '0.20' }
})

test('without configuration every rate carries the demo 20 % VAT, exact to the last digit', () => {
  assert.deepEqual(parseTaxConfig(undefined), DEFAULT_TAX_CONFIG)
  const lines = taxForRate({ taxExcludedAmount: toDecimal('10.005'), currency: 'EUR' }, DEFAULT_TAX_CONFIG)
  assert.deepEqual(show(lines), ['VAT 0.2 2.001'])
})

test('the first matching rule wins, then the default', () => {
  const base = { taxExcludedAmount: toDecimal('100'), currency: 'EUR' }
  assert.deepEqual(show(taxForRate({ ...base, productId: 'ebook', type: 'appliedPenaltyCharge' }, config)), ['VAT reduced 0.055 5.5'])
  assert.deepEqual(show(taxForRate({ ...base, type: 'appliedPenaltyCharge' }, config)), ['exempt 0 0'])
  assert.deepEqual(show(taxForRate({ ...base, rateType: 'usageCharge' }, config)), ['Telecom levy 0.07 7'])
  assert.deepEqual(show(taxForRate({ ...base, productId: 'other' }, config)), ['VAT 0.2 20'])
})

test('a credit gets negative tax at the same rate', () => {
  assert.deepEqual(show(taxForRate({ taxExcludedAmount: toDecimal('-25'), currency: 'EUR' }, config)), ['VAT 0.2 -5'])
})

test('no matching rule and no default means no tax line', () => {
  const untaxed = parseTaxConfig('{"rules":[{"taxCategory":"VAT","taxRate":"0.2","match":{"productId":"x"}}]}')
  assert.deepEqual(taxForRate({ taxExcludedAmount: toDecimal('9'), currency: 'EUR', productId: 'y' }, untaxed), [])
})

test('appliedTax sent by the client is used as given', () => {
  const lines = taxForRate({
    taxExcludedAmount: toDecimal('0.04'),
    taxIncludedAmount: toDecimal('0.05'),
    currency: 'EUR',
    appliedTax: [{ taxCategory: 'VAT', taxRate: 0.2, taxAmount: { value: 0.01, unit: 'EUR' } }]
  }, config)
  assert.deepEqual(show(lines), ['VAT 0.2 0.01'])
})

test('appliedTax without a rate gets one derived from the amounts, and a category from the rules', () => {
  const lines = taxForRate({
    taxExcludedAmount: toDecimal('30'),
    currency: 'EUR',
    productId: 'ebook',
    appliedTax: [{ taxAmount: { value: '1.65' } }, { taxCategory: 'Levy', taxAmount: { value: '1' } }]
  }, config)
  assert.deepEqual(show(lines), ['VAT reduced 0.055 1.65', 'Levy 0.033333 1'])
})

test('appliedTax that does not add up to taxIncludedAmount is refused with both figures', () => {
  rejectsWith('INVALID_MONEY', () => taxForRate({
    taxExcludedAmount: toDecimal('10'),
    taxIncludedAmount: toDecimal('12.01'),
    currency: 'EUR',
    appliedTax: [{ taxCategory: 'VAT', taxRate: '0.2', taxAmount: { value: '2' } }]
  }, config), 'taxIncludedAmount 12.01 must equal taxExcludedAmount 10 plus the appliedTax amounts (12)')
})

test('appliedTax in another currency, with a bad amount or a negative rate is refused', () => {
  const base = { taxExcludedAmount: toDecimal('10'), currency: 'EUR' }
  rejectsWith('CURRENCY_MISMATCH', () => taxForRate({ ...base, appliedTax: [{ taxAmount: { value: 2, unit: 'USD' } }] }, config), 'USD')
  rejectsWith('INVALID_MONEY', () => taxForRate({ ...base, appliedTax: [{ taxAmount: { value: 'two' } }] }, config), 'appliedTax[0].taxAmount.value')
  rejectsWith('INVALID_MONEY', () => taxForRate({ ...base, appliedTax: [{ taxRate: -0.2, taxAmount: { value: 2 } }] }, config), 'negative')
  rejectsWith('INVALID_MONEY', () => taxForRate({ ...base, appliedTax: [{ taxCategory: 'VAT' }] }, config), 'taxAmount is required')
})

test('only taxIncludedAmount: the difference is the tax, under the category of the rules', () => {
  const lines = taxForRate({ taxExcludedAmount: toDecimal('50'), taxIncludedAmount: toDecimal('60'), currency: 'EUR' }, config)
  assert.deepEqual(show(lines), ['VAT 0.2 10'])
  assert.deepEqual(taxForRate({ taxExcludedAmount: toDecimal('50'), taxIncludedAmount: toDecimal('50'), currency: 'EUR' }, config), [])
  rejectsWith('INVALID_MONEY', () => taxForRate({ taxExcludedAmount: toDecimal('50'), taxIncludedAmount: toDecimal('40'), currency: 'EUR' }, config), 'opposite sign')
  rejectsWith('INVALID_MONEY', () => taxForRate({ taxExcludedAmount: toDecimal('0'), taxIncludedAmount: toDecimal('1'), currency: 'EUR' }, config), 'taxExcludedAmount of 0')
})

test('bad tax configuration is refused with the place of the mistake', () => {
  rejectsWith('INVALID_FIELD', () => parseTaxConfig('{rules:'), 'not valid JSON')
  rejectsWith('INVALID_FIELD', () => parseTaxConfig({}), '"rules" array')
  rejectsWith('INVALID_FIELD', () => parseTaxConfig({ rules: [{ taxCategory: 'VAT', taxRate: 20 }] }), 'rules[0].taxRate must be between 0 and 1')
  rejectsWith('INVALID_FIELD', () => parseTaxConfig({ rules: [{ taxCategory: 'VAT', taxRate: '20%' }] }), 'rules[0].taxRate')
  rejectsWith('INVALID_FIELD', () => parseTaxConfig({ rules: [{ taxCategory: '', taxRate: '0.2' }] }), 'rules[0].taxCategory')
  rejectsWith('INVALID_FIELD', () => parseTaxConfig({ rules: [{ taxCategory: 'VAT', taxRate: '0.2', match: { country: 'FR' } }] }), 'match.country')
  rejectsWith('INVALID_FIELD', () => parseTaxConfig({ rules: [], default: { taxCategory: 'VAT' } }), 'default.taxRate')
})
