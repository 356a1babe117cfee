import type { Clock } from './clock.ts'
import { isDomainError } from './errors.ts'
import { type AccountDefaults, prepareRate, SeenAccounts, storeRateBatch } from './ingest-rates.ts'
import type { TaxConfig } from './tax.ts'
import type { Store } from '../store/database.ts'
import type { NewRate } from '../store/rates.ts'

export interface ImportLine {
  line: number
  /** The parsed record, or the reason the line could not be parsed. */
  record?: Record<string, unknown>
  error?: string
}

export interface ImportProgress { read: number; created: number; duplicates: number; rejected: number }

export interface ImportResult extends ImportProgress {
  durationMs: number
  /** The first rejected lines with their reasons (all of them are counted in `rejected`). */
  errors: { line: number; reason: string }[]
}

export interface ImportDeps {
  store: Store
  clock: Clock
  taxConfig: TaxConfig
  accountDefaults: AccountDefaults
  /** Schema check of a line before the domain's own checks; returns the reason a line is refused. */
  checkInput?: (record: unknown) => string | undefined
}

const BATCH = 1000
const KEPT_ERRORS = 1000

/**
 * Bulk ingest of rated charges, shared by `tmfbill import` and `POST /appliedCustomerBillingRate` with
 * NDJSON. Per-line semantics (docs/decisions/0002-rate-ingest.md): every valid line is stored, every bad
 * line is reported with its number and reason and stored nowhere. Lines are stored in batches of 1,000, one
 * transaction each, so memory stays bounded whatever the input size, and a line whose `externalId` is known
 * already counts as a duplicate: importing the same file twice creates nothing new.
 */
export async function importRates (lines: AsyncIterable<ImportLine>, deps: ImportDeps,
  onProgress?: (p: ImportProgress) => void): Promise<ImportResult> {
  const started = Date.now()
  const result: ImportResult = { read: 0, created: 0, duplicates: 0, rejected: 0, durationMs: 0, errors: [] }
  const reject = (line: number, reason: string) => {
    result.rejected++
    if (result.errors.length < KEPT_ERRORS) result.errors.push({ line, reason })
  }
  let batch: NewRate[] = []
  const seenAccounts = new SeenAccounts()
  const flush = async () => {
    if (batch.length === 0) return
    const created = await storeRateBatch(deps.store, batch, deps.accountDefaults, deps.clock.now(), seenAccounts)
    result.created += created
    result.duplicates += batch.length - created
    batch = []
    onProgress?.({ read: result.read, created: result.created, duplicates: result.duplicates, rejected: result.rejected })
  }
  const ctx = { taxConfig: deps.taxConfig, now: deps.clock.now() }
  for await (const item of lines) {
    result.read++
    if (item.error !== undefined || item.record === undefined) {
      reject(item.line, item.error ?? 'empty line')
      continue
    }
    // NOTE: the domain's checks run first because their reasons are the more precise ones ("must be a decimal
    // number such as "12.50""); the schema check then refuses what the domain does not read (unknown attributes).
    let rate: NewRate
    try {
      rate = prepareRate(item.record, ctx)
    } catch (err) {
      // A record of the wrong shape altogether is explained by the schema, whatever the domain tripped over.
      const reason = isDomainError(err) ? err.message : deps.checkInput?.(item.record)
      if (reason === undefined) throw err
      reject(item.line, reason)
      continue
    }
    const invalid = deps.checkInput?.(item.record)
    if (invalid !== undefined) reject(item.line, invalid)
    else batch.push(rate)
    if (batch.length >= BATCH) await flush()
  }
  await flush()
  result.durationMs = Date.now() - started
  return result
}
