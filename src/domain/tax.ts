import { DomainError, ErrorCodes } from './errors.ts'
import { parseAmount, sumAmounts, toDecimal, type Decimal } from './money.ts'

/**
 * Per-rate tax: either the tax the client already applied (TMF `appliedTax`), or the tax the configured
 * rules give. Amounts here are exact; the bill rounds once per tax group (see bill-calculation.ts).
 * Rules and their reasons: docs/decisions/0004-taxes.md.
 */

export interface TaxRule {
  taxCategory: string
  /** Decimal fraction, e.g. '0.20' for 20 %. */
  taxRate: string
  /** Every given field must equal the rate's; a rule without `match` matches every rate. */
  match?: { productId?: string; type?: string; rateType?: string }
}

export interface TaxConfig {
  /** First match wins, so put product rules before type rules. */
  rules: TaxRule[]
  /** Applies when no rule matches; without it an unmatched rate carries no tax. */
  default?: { taxCategory: string; taxRate: string } | null
}

export interface AppliedTaxInput {
  taxCategory?: string
  taxRate?: number | string
  taxAmount?: { value: number | string; unit?: string }
}

export interface RateTaxInput {
  taxExcludedAmount: Decimal
  currency: string
  type?: string
  productId?: string
  /** Finer charge kind (TMF v5 `appliedBillingRateType`, e.g. 'recurringCharge'), matched by `match.rateType`. */
  rateType?: string
  appliedTax?: AppliedTaxInput[]
  taxIncludedAmount?: Decimal
}

export interface RateTaxLine {
  taxCategory: string
  taxRate: Decimal
  /** Exact, unrounded. */
  taxAmount: Decimal
}

/** Demo default only: 20 % VAT on everything. Real deployments set TAX_RULES (see docs/decisions/0004-taxes.md). */
export const DEFAULT_TAX_CONFIG: TaxConfig = Object.freeze({
  rules: [],
  default: Object.freeze({ taxCategory: 'VAT', taxRate: '0.20' })
})

// NOTE: a configured rate above 1 is almost always "20" meant as 20 %; refusing it beats billing 2000 % tax.
const MAX_CONFIG_RATE = toDecimal('1')
// NOTE: a rate derived from amounts (tax ÷ base) is kept to 6 decimals so that 0.2 stays 0.2 and groups stay readable.
const DERIVED_RATE_DECIMALS = 6

/**
 * Validates tax configuration: a parsed JSON value, JSON text (e.g. the TAX_RULES setting), or
 * undefined/null for the demo default.
 */
export function parseTaxConfig (json: unknown): TaxConfig {
  if (json === undefined || json === null) return DEFAULT_TAX_CONFIG
  const value = typeof json === 'string' ? parseJsonText(json) : json
  if (!isRecord(value) || !Array.isArray(value.rules)) {
    throw configError('must be an object with a "rules" array (and an optional "default")')
  }
  const rules = value.rules.map((rule, i) => parseRule(rule, `rules[${i}]`))
  if (value.default === undefined || value.default === null) return { rules, default: null }
  const fallback = parseRule(value.default, 'default')
  if (fallback.match !== undefined) throw configError('default cannot have "match"')
  return { rules, default: { taxCategory: fallback.taxCategory, taxRate: fallback.taxRate } }
}

/** The exact tax lines of one rate. */
export function taxForRate (rate: RateTaxInput, config: TaxConfig): RateTaxLine[] {
  if (rate.appliedTax !== undefined && rate.appliedTax.length > 0) return useAppliedTax(rate, rate.appliedTax, config)
  if (rate.taxIncludedAmount !== undefined) return deriveFromIncluded(rate, rate.taxIncludedAmount, config)
  const rule = findRule(rate, config)
  if (rule === undefined) return []
  const taxRate = configRate(rule.taxRate)
  return [{ taxCategory: rule.taxCategory, taxRate, taxAmount: rate.taxExcludedAmount.times(taxRate) }]
}

// Configured rates as decimals, read once rather than once per rate of a bulk import (a handful of texts).
const configRates = new Map<string, Decimal>()

function configRate (text: string): Decimal {
  let rate = configRates.get(text)
  if (rate === undefined) {
    if (configRates.size >= 1000) configRates.clear()
    rate = toDecimal(text)
    configRates.set(text, rate)
  }
  return rate
}

function useAppliedTax (rate: RateTaxInput, applied: AppliedTaxInput[], config: TaxConfig): RateTaxLine[] {
  const lines = applied.map((tax, i): RateTaxLine => {
    const what = `appliedTax[${i}]`
    if (!isRecord(tax) || !isRecord(tax.taxAmount)) {
      throw new DomainError(ErrorCodes.INVALID_MONEY, `${what}.taxAmount is required`)
    }
    const unit = tax.taxAmount.unit
    if (unit !== undefined && unit !== rate.currency) {
      throw new DomainError(ErrorCodes.CURRENCY_MISMATCH,
        `${what}.taxAmount.unit is ${String(unit)} but the rate is in ${rate.currency}`)
    }
    const taxAmount = parseAmount(tax.taxAmount.value, `${what}.taxAmount.value`)
    const taxRate = tax.taxRate === undefined
      ? deriveRate(taxAmount, rate.taxExcludedAmount, `${what}.taxRate`)
      : parseRate(tax.taxRate, `${what}.taxRate`)
    const taxCategory = typeof tax.taxCategory === 'string' && tax.taxCategory !== ''
      ? tax.taxCategory
      : (findRule(rate, config)?.taxCategory ?? 'none')
    return { taxCategory, taxRate, taxAmount }
  })
  if (rate.taxIncludedAmount !== undefined) {
    const expected = rate.taxExcludedAmount.plus(sumAmounts(lines.map((l) => l.taxAmount)))
    if (!expected.equals(rate.taxIncludedAmount)) {
      throw new DomainError(ErrorCodes.INVALID_MONEY,
        `taxIncludedAmount ${rate.taxIncludedAmount.toFixed()} must equal taxExcludedAmount ` +
        `${rate.taxExcludedAmount.toFixed()} plus the appliedTax amounts (${expected.toFixed()})`)
    }
  }
  return lines
}

function deriveFromIncluded (rate: RateTaxInput, included: Decimal, config: TaxConfig): RateTaxLine[] {
  const taxAmount = included.minus(rate.taxExcludedAmount)
  if (taxAmount.isZero()) return []
  const taxRate = deriveRate(taxAmount, rate.taxExcludedAmount, 'the tax rate implied by taxIncludedAmount')
  const taxCategory = findRule(rate, config)?.taxCategory ?? 'none'
  return [{ taxCategory, taxRate, taxAmount }]
}

function deriveRate (taxAmount: Decimal, base: Decimal, what: string): Decimal {
  if (base.isZero()) {
    if (taxAmount.isZero()) return toDecimal('0')
    throw new DomainError(ErrorCodes.INVALID_MONEY,
      `${what} cannot be derived: tax ${taxAmount.toFixed()} on a taxExcludedAmount of 0`)
  }
  const derived = taxAmount.dividedBy(base).toDecimalPlaces(DERIVED_RATE_DECIMALS)
  if (derived.isNegative() && !derived.isZero()) {
    throw new DomainError(ErrorCodes.INVALID_MONEY,
      `${what} would be negative: tax ${taxAmount.toFixed()} has the opposite sign of taxExcludedAmount ${base.toFixed()}`)
  }
  return derived.isZero() ? toDecimal('0') : derived
}

function parseRate (value: unknown, what: string): Decimal {
  const rate = parseAmount(value, what)
  if (rate.isNegative() && !rate.isZero()) {
    throw new DomainError(ErrorCodes.INVALID_MONEY, `${what} cannot be negative, got ${rate.toFixed()}`)
  }
  return rate
}

function findRule (rate: RateTaxInput, config: TaxConfig): { taxCategory: string; taxRate: string } | undefined {
  const rule = config.rules.find((r) => matches(r, rate))
  return rule ?? config.default ?? undefined
}

function matches (rule: TaxRule, rate: RateTaxInput): boolean {
  const m = rule.match
  if (m === undefined) return true
  return (m.productId === undefined || m.productId === rate.productId) &&
    (m.type === undefined || m.type === rate.type) &&
    (m.rateType === undefined || m.rateType === rate.rateType)
}

function parseRule (value: unknown, where: string): TaxRule {
  if (!isRecord(value)) throw configError(`${where} must be an object`)
  if (typeof value.taxCategory !== 'string' || value.taxCategory.trim() === '') {
    throw configError(`${where}.taxCategory must be a non-empty string`)
  }
  const taxRate = parseConfigRate(value.taxRate, `${where}.taxRate`)
  if (value.match === undefined) return { taxCategory: value.taxCategory, taxRate }
  if (!isRecord(value.match)) throw configError(`${where}.match must be an object`)
  const match: NonNullable<TaxRule['match']> = {}
  for (const key of Object.keys(value.match)) {
    const field = value.match[key]
    if ((key !== 'productId' && key !== 'type' && key !== 'rateType') || typeof field !== 'string') {
      throw configError(`${where}.match.${key} is not allowed: match takes string productId, type or rateType`)
    }
    match[key] = field
  }
  return { taxCategory: value.taxCategory, taxRate, match }
}

function parseConfigRate (value: unknown, where: string): string {
  let rate: Decimal
  try {
    rate = parseAmount(value, where)
  } catch {
    throw configError(`${where} must be a decimal fraction such as "0.20", got ${JSON.stringify(value) ?? 'nothing'}`)
  }
  if (rate.isNegative() || rate.greaterThan(MAX_CONFIG_RATE)) {
    throw configError(`${where} must be between 0 and 1 (a fraction: "0.20" is 20 %), got ${rate.toFixed()}`)
  }
  return rate.toFixed()
}

function parseJsonText (text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw configError(`is not valid JSON (${(err as Error).message})`)
  }
}

function configError (problem: string): DomainError {
  return new DomainError(ErrorCodes.INVALID_FIELD, `tax configuration ${problem}`)
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
