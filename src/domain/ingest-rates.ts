import type { AccountRecord, RateRecord } from './records.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import { newId } from './ids.ts'
import { parseAmount, parseCurrency, sumAmounts, toAmountString, toWireNumber } from './money.ts'
import { type AppliedTaxInput, type RateTaxInput, type TaxConfig, taxForRate } from './tax.ts'
import type { Store } from '../store/database.ts'
import { ensureAccounts } from '../store/accounts.ts'
import { findRatesByExternalId, insertRates, type NewRate } from '../store/rates.ts'

/** Attributes the server owns on a rate: a client may not set them. */
const SERVER_OWNED = ['id', 'href', 'isBilled', 'bill'] as const

export interface IngestContext {
  taxConfig: TaxConfig
  now: Date
}

export interface AccountDefaults { billCycleDay: number; paymentTermsDays: number }

/**
 * Validates one rated charge and computes its tax. Pure: no I/O. The result is what gets stored; tax is
 * fixed at ingest, as the rating system rated it (docs/decisions/0004-taxes.md).
 */
export function prepareRate (input: Record<string, unknown>, ctx: IngestContext): NewRate {
  for (const key of SERVER_OWNED) {
    if (key in input) throw new DomainError(ErrorCodes.INVALID_FIELD, 'Server-owned attribute', `Attribute '${key}' is set by the server and may not be sent`)
  }
  const account = input.billingAccount as { id?: unknown } | undefined
  if (typeof account?.id !== 'string' || account.id === '') {
    throw new DomainError(ErrorCodes.INVALID_BODY, 'Missing billing account', "Attribute 'billingAccount.id' is required")
  }
  const money = input.taxExcludedAmount as { unit?: unknown; value?: unknown } | undefined
  if (money === undefined || money === null || typeof money !== 'object') throw new DomainError(ErrorCodes.INVALID_BODY, 'Missing amount', "Attribute 'taxExcludedAmount' is required")
  const currency = parseCurrency(money.unit, 'taxExcludedAmount.unit')
  const amount = parseAmount(money.value, 'taxExcludedAmount.value')
  const date = parseDate(input.date, 'date')
  const included = input.taxIncludedAmount as { unit?: unknown; value?: unknown } | undefined
  if (included === null || (included !== undefined && typeof included !== 'object')) {
    throw new DomainError(ErrorCodes.INVALID_BODY, 'Invalid amount', "Attribute 'taxIncludedAmount' must be a Money object")
  }
  if (included !== undefined && parseCurrency(included.unit, 'taxIncludedAmount.unit') !== currency) {
    throw new DomainError(ErrorCodes.CURRENCY_MISMATCH, 'Currency mismatch', 'taxIncludedAmount.unit must equal taxExcludedAmount.unit')
  }
  const product = input.product as { id?: unknown } | undefined
  const productId = typeof product?.id === 'string' ? product.id : undefined
  const type = typeof input.type === 'string' ? input.type : undefined
  // NOTE: optional attributes are set one by one rather than spread in: `exactOptionalPropertyTypes` wants them
  // absent, not undefined, and conditional spreads cost more than the rest of this function on a bulk import.
  const taxInput: RateTaxInput = { taxExcludedAmount: amount, currency }
  if (type !== undefined) taxInput.type = type
  if (productId !== undefined) taxInput.productId = productId
  if (Array.isArray(input.appliedTax)) taxInput.appliedTax = input.appliedTax as AppliedTaxInput[]
  if (included !== undefined) taxInput.taxIncludedAmount = parseAmount(included.value, 'taxIncludedAmount.value')
  const lines = taxForRate(taxInput, ctx.taxConfig)
  const taxIncluded = amount.plus(sumAmounts(lines.map((l) => l.taxAmount)))
  const externalId = typeof input.externalId === 'string' ? input.externalId : null

  const appliedTax = new Array<Record<string, unknown>>(lines.length)
  for (const [i, l] of lines.entries()) {
    appliedTax[i] = {
      taxCategory: l.taxCategory,
      taxRate: l.taxRate.toNumber(),
      taxAmount: { unit: currency, value: toWireNumber(l.taxAmount) },
      '@type': 'AppliedBillingTaxRate'
    }
  }
  // The input's attributes in their order, the computed ones replacing the given ones in place.
  const body: Record<string, unknown> = { ...input }
  body.date = date
  body.taxExcludedAmount = { unit: currency, value: toWireNumber(amount) }
  body.taxIncludedAmount = { unit: currency, value: toWireNumber(taxIncluded) }
  body.appliedTax = appliedTax
  body['@type'] = typeof input['@type'] === 'string' ? input['@type'] : 'AppliedCustomerBillingRate'
  return {
    id: newId(),
    externalId,
    billingAccountId: account.id,
    currency,
    taxExcludedAmount: toAmountString(amount),
    date,
    type: type ?? null,
    productId: productId ?? null,
    createdAt: ctx.now.toISOString(),
    body
  }
}

function parseDate (value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new DomainError(ErrorCodes.INVALID_FIELD, 'Invalid date-time', `Attribute '${what}' must be an RFC 3339 date-time, e.g. 2026-11-01T00:00:00Z`)
  }
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw new DomainError(ErrorCodes.INVALID_FIELD, 'Invalid date-time', `Attribute '${what}' is not a valid date`)
  return d.toISOString()
}

export interface IngestResult {
  /** Rates stored by this call. */
  created: RateRecord[]
  /** Rates whose `externalId` was already stored: nothing new was written for them. */
  existing: RateRecord[]
}

/**
 * The accounts one import has registered so far, and whether each has a name: a later batch registers an
 * account again only to give it its first name. Memory stays bounded: past `limit` accounts it starts over.
 */
export class SeenAccounts {
  readonly #named = new Map<string, boolean>()
  readonly #limit: number
  constructor (limit = 100_000) { this.#limit = limit }

  /** Whether registering this account with this name could change anything. */
  needs (id: string, name: string | null): boolean {
    const named = this.#named.get(id)
    return named === undefined || (!named && name !== null)
  }

  /** Call once the accounts are committed. */
  add (accounts: AccountRecord[]): void {
    if (this.#named.size + accounts.length > this.#limit) this.#named.clear()
    for (const a of accounts) this.#named.set(a.id, a.name !== null || this.#named.get(a.id) === true)
  }
}

/**
 * Stores prepared rates in one transaction, registering their billing accounts on first sight. Rates
 * carrying an `externalId` that is already stored are skipped, so re-sending a batch creates nothing new.
 */
export async function storeRates (store: Store, rates: NewRate[], defaults: AccountDefaults, now: Date): Promise<IngestResult> {
  const accounts = accountsToRegister(rates, defaults, now, undefined)
  return store.transaction(async (trx) => {
    await ensureAccounts(trx, accounts)
    const insertedIds = await insertRates(trx, rates)
    const created = rates.filter((r) => insertedIds.has(r.id)).map((r) => ({ ...r, isBilled: false, billId: null }))
    const skipped = rates.filter((r) => !insertedIds.has(r.id) && r.externalId !== null).map((r) => r.externalId as string)
    return { created, existing: await findRatesByExternalId(trx, skipped) }
  })
}

/**
 * A bulk import's batch: `storeRates` without the stored records, returning how many rates were new. Accounts
 * that `seenAccounts` knows from an earlier batch are not registered again.
 */
export async function storeRateBatch (store: Store, rates: NewRate[], defaults: AccountDefaults, now: Date,
  seenAccounts: SeenAccounts): Promise<number> {
  const accounts = accountsToRegister(rates, defaults, now, seenAccounts)
  const created = await store.transaction(async (trx) => {
    await ensureAccounts(trx, accounts)
    return (await insertRates(trx, rates)).size
  })
  seenAccounts.add(accounts)
  return created
}

function accountsToRegister (rates: NewRate[], defaults: AccountDefaults, now: Date, seen: SeenAccounts | undefined): AccountRecord[] {
  const accounts = new Map<string, AccountRecord>()
  for (const r of rates) {
    const given = (r.body.billingAccount as { name?: unknown }).name
    const name = typeof given === 'string' && given !== '' ? given : null
    const known = accounts.get(r.billingAccountId)
    if (known && known.name === null) known.name = name
    if (!known && (seen === undefined || seen.needs(r.billingAccountId, name))) {
      accounts.set(r.billingAccountId, {
        id: r.billingAccountId,
        name,
        billCycleDay: defaults.billCycleDay,
        paymentTermsDays: defaults.paymentTermsDays,
        createdAt: now.toISOString()
      })
    }
  }
  return [...accounts.values()]
}
