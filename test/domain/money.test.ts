import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Decimal } from 'decimal.js'
import { isDomainError } from '../../src/domain/errors.ts'
import {
  isCurrencyCode, minorUnits, parseAmount, parseCurrency, roundMoney, sumAmounts, toAmountString, toDecimal,
  toWireNumber, ROUNDING_MODES, type RoundingMode
} from '../../src/domain/money.ts'

function rejectsWith (code: string, fn: () => unknown, messagePart?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isDomainError(err), `expected a DomainError, got ${String(err)}`)
    assert.equal(err.code, code)
    if (messagePart !== undefined) assert.ok(err.message.includes(messagePart), `"${err.message}" should mention ${messagePart}`)
    return true
  })
}

test('minor units follow ISO 4217 for zero-, two-, three- and four-digit currencies', () => {
  assert.deepEqual(['JPY', 'KRW', 'EUR', 'USD', 'GBP', 'KWD', 'BHD', 'OMR', 'JOD', 'TND', 'CLF'].map(minorUnits),
    [0, 0, 2, 2, 2, 3, 3, 3, 3, 3, 4])
})

test('unknown, lower-case and non-money codes are refused rather than billed with a guessed precision', () => {
  for (const code of ['ABC', 'eur', 'XAU', 'XXX', 'EURO', '']) {
    assert.equal(isCurrencyCode(code), false, code)
    rejectsWith('INVALID_MONEY', () => minorUnits(code))
  }
  rejectsWith('INVALID_MONEY', () => parseCurrency(42, 'taxExcludedAmount.unit'), 'taxExcludedAmount.unit')
  assert.equal(parseCurrency('KWD', 'unit'), 'KWD')
})

test('roundMoney applies each rounding mode to charges and credits alike', () => {
  const cases: [string, Record<RoundingMode, string>][] = [
    ['2.345', { halfUp: '2.35', halfEven: '2.34', halfDown: '2.34', up: '2.35', down: '2.34', ceiling: '2.35', floor: '2.34' }],
    ['-2.345', { halfUp: '-2.35', halfEven: '-2.34', halfDown: '-2.34', up: '-2.35', down: '-2.34', ceiling: '-2.34', floor: '-2.35' }],
    ['2.355', { halfUp: '2.36', halfEven: '2.36', halfDown: '2.35', up: '2.36', down: '2.35', ceiling: '2.36', floor: '2.35' }],
    ['2.3449', { halfUp: '2.34', halfEven: '2.34', halfDown: '2.34', up: '2.35', down: '2.34', ceiling: '2.35', floor: '2.34' }]
  ]
  for (const [amount, expected] of cases) {
    for (const mode of ROUNDING_MODES) {
      assert.equal(toAmountString(roundMoney(amount, 'EUR', mode), 'EUR'), expected[mode], `${amount} ${mode}`)
    }
  }
})

test('roundMoney uses the currency minor unit and defaults to half away from zero', () => {
  assert.equal(roundMoney('2.5', 'JPY').toFixed(), '3')
  assert.equal(roundMoney('-2.5', 'JPY').toFixed(), '-3')
  assert.equal(roundMoney('2.5', 'JPY', 'halfEven').toFixed(), '2')
  assert.equal(roundMoney('1.0005', 'KWD').toFixed(), '1.001')
  assert.equal(roundMoney('0.00005', 'CLF').toFixed(), '0.0001')
  assert.equal(roundMoney(toDecimal('10.005'), 'EUR').toFixed(), '10.01')
})

test('a credit that rounds to nothing is 0.00, never -0.00', () => {
  assert.equal(toAmountString(roundMoney('-0.004', 'EUR'), 'EUR'), '0.00')
  assert.equal(toWireNumber(roundMoney('-0.004', 'EUR')), 0)
  assert.ok(Object.is(toWireNumber(roundMoney('-0.004', 'EUR')), 0))
})

test('parseAmount keeps the decimal the client wrote, from a string or a JSON number', () => {
  assert.equal(parseAmount('12.50', 'x').toFixed(), '12.5')
  assert.equal(parseAmount('-3', 'x').toFixed(), '-3')
  assert.equal(parseAmount(0.1, 'x').toFixed(), '0.1')
  assert.equal(parseAmount(19.99, 'x').toFixed(), '19.99')
  assert.equal(parseAmount(1e-7, 'x').toFixed(), '0.0000001')
  assert.equal(parseAmount(123456789012.345, 'x').toFixed(), '123456789012.345')
  assert.equal(sumAmounts([parseAmount(0.1, 'a'), parseAmount(0.2, 'b')]).toFixed(), '0.3')
})

test('parseAmount refuses anything that is not a plain finite decimal and names the field', () => {
  const bad: unknown[] = [Number.NaN, Number.POSITIVE_INFINITY, '1e3', '1E-2', ' 1', '1 ', '1,000.00', '', '.5', '5.', '+5',
    '0x10', 'Infinity', 'NaN', '--1', null, undefined, true, {}, [], 10n]
  for (const value of bad) {
    rejectsWith('INVALID_MONEY', () => parseAmount(value, 'taxExcludedAmount.value'), 'taxExcludedAmount.value')
  }
})

test('parseAmount bounds the size of an amount', () => {
  assert.equal(parseAmount('999999999999999.999999999999', 'x').toFixed(), '999999999999999.999999999999')
  rejectsWith('INVALID_MONEY', () => parseAmount('1000000000000000', 'x'), 'out of range')
  rejectsWith('INVALID_MONEY', () => parseAmount('0.0000000000001', 'x'), 'out of range')
  rejectsWith('INVALID_MONEY', () => parseAmount(1e21, 'x'), 'out of range')
  rejectsWith('INVALID_MONEY', () => parseAmount('1'.padEnd(100_000, '0'), 'x'), 'too long')
})

test('toAmountString is fixed-point with at least the currency digits and never rounds', () => {
  assert.equal(toAmountString(toDecimal('10.1'), 'EUR'), '10.10')
  assert.equal(toAmountString(toDecimal('10.005'), 'EUR'), '10.005')
  assert.equal(toAmountString(toDecimal('100'), 'JPY'), '100')
  assert.equal(toAmountString(toDecimal('1.5'), 'KWD'), '1.500')
  assert.equal(toAmountString(toDecimal('0.0000001')), '0.0000001')
  assert.equal(toAmountString(toDecimal('123456789012345')), '123456789012345')
})

test('toWireNumber gives the JSON number of a rounded amount', () => {
  assert.equal(toWireNumber(roundMoney('19.989', 'EUR')), 19.99)
  assert.equal(JSON.stringify({ value: toWireNumber(toDecimal('-1234.5')) }), '{"value":-1234.5}')
})

test('money arithmetic ignores changes to the global Decimal settings', () => {
  const saved = Decimal.precision
  Decimal.set({ precision: 3 })
  try {
    const total = sumAmounts([toDecimal('123456.78'), toDecimal('0.01')])
    assert.equal(total.toFixed(), '123456.79')
  } finally {
    Decimal.set({ precision: saved })
  }
})

test('sumAmounts of nothing is zero', () => {
  assert.equal(sumAmounts([]).toFixed(), '0')
})
