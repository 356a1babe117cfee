import { Decimal } from 'decimal.js'
import { DomainError, ErrorCodes } from './errors.ts'

/**
 * Money arithmetic for tmfbill. Amounts are decimal.js values from a private clone (never the global
 * `Decimal`, whose settings any other module could change). Rounding to a currency happens in exactly one
 * place: `roundMoney`. Rules and their reasons: docs/decisions/0003-money-and-rounding.md.
 */

// NOTE: 64 significant digits keeps every sum and amount × tax-rate product exact: inputs are bounded to
// 15 integer + 12 fraction digits by `parseAmount`, so a product of two of them needs at most ~54 digits.
const MoneyDecimal = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -9e15,
  toExpPos: 9e15
})

export type { Decimal }

export type RoundingMode = 'halfUp' | 'halfEven' | 'halfDown' | 'up' | 'down' | 'ceiling' | 'floor'

export const ROUNDING_MODES: readonly RoundingMode[] = ['halfUp', 'halfEven', 'halfDown', 'up', 'down', 'ceiling', 'floor']

// NOTE: decimal.js "UP"/"HALF_UP" are away from zero, so a credit of -0.005 rounds to -0.01, the mirror of a charge.
const DECIMAL_ROUNDING: Record<RoundingMode, Decimal.Rounding> = {
  halfUp: Decimal.ROUND_HALF_UP,
  halfEven: Decimal.ROUND_HALF_EVEN,
  halfDown: Decimal.ROUND_HALF_DOWN,
  up: Decimal.ROUND_UP,
  down: Decimal.ROUND_DOWN,
  ceiling: Decimal.ROUND_CEIL,
  floor: Decimal.ROUND_FLOOR
}

/** ISO 4217 minor units of every active currency whose minor unit is not 2 (List One, 2025). */
const NON_TWO_DIGIT_MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4
}

/** Active ISO 4217 currencies with 2 minor digits. Codes with no minor unit (XAU, XDR, XXX, …) are not money here. */
const TWO_DIGIT_CURRENCIES = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
  'CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
  'GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD ' +
  'LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN ' +
  'PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB ' +
  'TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG'
).split(' ')

const MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...TWO_DIGIT_CURRENCIES.map((code): [string, number] => [code, 2]),
  ...Object.entries(NON_TWO_DIGIT_MINOR_UNITS)
])

// NOTE: bounds keep arithmetic exact (see precision above) and stop "1" followed by a megabyte of zeros.
const MAX_INTEGER_DIGITS = 15
const MAX_FRACTION_DIGITS = 12
const DECIMAL_STRING = /^-?(\d+)(?:\.(\d+))?$/
// A decimal string within the bounds by its length alone: the usual amount, read without `checkBounds`.
const PLAIN_AMOUNT = /^-?\d{1,15}(?:\.\d{1,12})?$/

/** True for an active ISO 4217 code in upper case, e.g. 'EUR'; false for 'eur', 'XAU' or 'ABC'. */
export function isCurrencyCode (value: unknown): value is string {
  return typeof value === 'string' && MINOR_UNITS.has(value)
}

/** The number of digits after the decimal point of a currency (JPY 0, EUR 2, KWD 3, CLF 4). */
export function minorUnits (currency: string): number {
  const digits = MINOR_UNITS.get(currency)
  if (digits === undefined) {
    throw new DomainError(ErrorCodes.INVALID_MONEY, `'${currency}' is not an active ISO 4217 currency code`)
  }
  return digits
}

/** Validates a currency code coming from outside; `what` names the field in the error. */
export function parseCurrency (value: unknown, what: string): string {
  if (!isCurrencyCode(value)) {
    throw new DomainError(ErrorCodes.INVALID_MONEY,
      `${what} must be an active ISO 4217 currency code in upper case (e.g. EUR), got ${describe(value)}`)
  }
  return value
}

/**
 * Parses an amount that arrived in a request or a file. Accepts a decimal string ('12.50', '-3') or a JSON
 * number. A JSON number is a binary double by the time it reaches us; `String(n)` gives its shortest
 * round-trip form, which is exactly the literal the client wrote whenever that literal has at most 15
 * significant digits. Clients that need more digits send strings.
 */
export function parseAmount (value: unknown, what: string): Decimal {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new DomainError(ErrorCodes.INVALID_MONEY, `${what} must be a finite number, got ${String(value)}`)
    }
    const text = String(value)
    return PLAIN_AMOUNT.test(text) ? nonNegativeZero(new MoneyDecimal(text)) : checkBounds(new MoneyDecimal(text), what, text)
  }
  if (typeof value === 'string') {
    if (PLAIN_AMOUNT.test(value)) return nonNegativeZero(new MoneyDecimal(value))
    if (value.length > 64) {
      throw new DomainError(ErrorCodes.INVALID_MONEY, `${what} is too long to be an amount, got ${describe(value)}`)
    }
    if (!DECIMAL_STRING.test(value)) {
      throw new DomainError(ErrorCodes.INVALID_MONEY,
        `${what} must be a decimal number such as "12.50" (no exponent, spaces or thousands separators), got ${describe(value)}`)
    }
    return checkBounds(new MoneyDecimal(value), what, value)
  }
  throw new DomainError(ErrorCodes.INVALID_MONEY, `${what} must be a number or a decimal string, got ${describe(value)}`)
}

/** Turns a trusted decimal (a constant, a value read back from our own store) into a money Decimal. */
export function toDecimal (value: string | Decimal): Decimal {
  if (typeof value === 'string' && !DECIMAL_STRING.test(value)) {
    throw new DomainError(ErrorCodes.INVALID_MONEY, `not a decimal number: ${describe(value)}`)
  }
  return new MoneyDecimal(value)
}

/** THE rounding function: rounds an exact amount to the minor unit of its currency. Never returns -0. */
export function roundMoney (amount: Decimal | string, currency: string, mode: RoundingMode = 'halfUp'): Decimal {
  const rounding = DECIMAL_ROUNDING[mode]
  if (rounding === undefined) {
    throw new DomainError(ErrorCodes.INVALID_MONEY, `unknown rounding mode ${describe(mode)}`)
  }
  const rounded = toDecimal(amount).toDecimalPlaces(minorUnits(currency), rounding)
  return rounded.isZero() ? new MoneyDecimal(0) : rounded
}

/** Exact sum; the empty sum is 0. */
export function sumAmounts (values: readonly Decimal[]): Decimal {
  return values.reduce<Decimal>((total, value) => total.plus(value), new MoneyDecimal(0))
}

/**
 * Fixed-point text of an amount, never with an exponent. With a currency, the text has at least the
 * currency's minor-unit digits ('10.10 EUR', '100 JPY') but keeps any further exact digits ('10.005'):
 * formatting never rounds, `roundMoney` does.
 */
export function toAmountString (amount: Decimal, currency?: string): string {
  const value = amount.isZero() ? new MoneyDecimal(0) : amount
  if (currency === undefined) return value.toFixed()
  return value.toFixed(Math.max(minorUnits(currency), value.decimalPlaces()))
}

/** Money.value on the TMF wire is a JSON number. Only for output: never compute with the result. */
export function toWireNumber (amount: Decimal): number {
  const n = amount.toNumber()
  return n === 0 ? 0 : n
}

function checkBounds (amount: Decimal, what: string, text: string): Decimal {
  const fixed = amount.abs().toFixed()
  const [integer = '', fraction = ''] = fixed.split('.')
  if (integer.replace(/^0+/, '').length > MAX_INTEGER_DIGITS || fraction.length > MAX_FRACTION_DIGITS) {
    throw new DomainError(ErrorCodes.INVALID_MONEY,
      `${what} is out of range (at most ${MAX_INTEGER_DIGITS} digits before and ${MAX_FRACTION_DIGITS} after the point), got ${text}`)
  }
  return nonNegativeZero(amount)
}

function nonNegativeZero (amount: Decimal): Decimal {
  return amount.isZero() ? new MoneyDecimal(0) : amount
}

function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}
