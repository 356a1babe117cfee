import { createWriteStream, mkdirSync } from 'node:fs'
import { once } from 'node:events'
import { dirname } from 'node:path'

export interface RateFileSpec {
  file: string
  rates: number
  accounts: number
  /** Account ids are `${accountPrefix}${n}` with n zero-padded. */
  accountPrefix: string
  /** externalIds are `${externalPrefix}-${n}`: unique per file and per run, so every line is new. */
  externalPrefix: string
  /** Rates are spread evenly over [from, to). */
  from: Date
  to: Date
}

const TYPES = ['usageCharge', 'usageCharge', 'usageCharge', 'recurringCharge', 'oneTimeCharge'] as const
const PRODUCTS = [
  { id: 'PO-MOBILE-M', name: 'Mobile M' },
  { id: 'PO-MOBILE-L', name: 'Mobile L' },
  { id: 'PO-FIBRE-1G', name: 'Fibre 1 Gbit/s' },
  { id: 'PO-TV', name: 'TV package' },
  { id: 'PO-ROAMING', name: 'Roaming pass' }
] as const

export function accountId (prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(6, '0')}`
}

/**
 * Writes an NDJSON file of rated charges as a rating system would hand them over: lines interleave the
 * accounts in time order (rate k of every account, then rate k+1), amounts are decimal strings with two
 * places, and every line carries an externalId. Deterministic for a given spec.
 */
export async function writeRateFile (spec: RateFileSpec): Promise<{ bytes: number }> {
  mkdirSync(dirname(spec.file), { recursive: true })
  const out = createWriteStream(spec.file)
  const span = spec.to.getTime() - spec.from.getTime()
  let bytes = 0
  let chunk: string[] = []
  for (let i = 0; i < spec.rates; i++) {
    const account = i % spec.accounts
    const type = TYPES[i % TYPES.length] ?? 'usageCharge'
    const product = PRODUCTS[(account + i) % PRODUCTS.length] ?? PRODUCTS[0]
    const cents = 100 + ((i * 7919) % 9900)
    const line = JSON.stringify({
      externalId: `${spec.externalPrefix}-${i}`,
      billingAccount: { id: accountId(spec.accountPrefix, account), name: `Customer ${account}` },
      date: new Date(spec.from.getTime() + Math.floor((i / spec.rates) * span)).toISOString(),
      type,
      name: type === 'usageCharge' ? 'Data usage' : type === 'recurringCharge' ? 'Monthly fee' : 'Activation',
      product: { id: product.id, name: product.name },
      taxExcludedAmount: { unit: 'EUR', value: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}` }
    })
    chunk.push(line)
    bytes += line.length + 1
    if (chunk.length === 1000) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain')
      chunk = []
    }
  }
  if (chunk.length > 0) out.write(chunk.join('\n') + '\n')
  out.end()
  await once(out, 'finish')
  return { bytes }
}

/** The month before `now` (UTC), the period a bill run at `now` closes with the default cycle day 1. */
export function previousMonth (now: Date): { from: Date; to: Date } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
  return { from, to }
}
