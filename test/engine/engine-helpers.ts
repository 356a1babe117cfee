import { Decimal as GlobalDecimal } from 'decimal.js'
import { runBillRun, type BillRunResult } from '../../src/domain/bill-run.ts'
import type { Clock } from '../../src/domain/clock.ts'
import { billingOptions } from '../../src/context.ts'
import type { TestServer } from '../helpers/server.ts'

/** The test's own decimal arithmetic, exact for every amount the engine accepts (≤ 27 digits, products ≤ 54). */
export const Decimal = GlobalDecimal.clone({ precision: 64 })
export type Decimal = GlobalDecimal

/** What a client sees of one HTTP exchange. */
export interface Reply<T = any> { status: number; headers: Headers; body: T }

export async function call<T = any> (method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<Reply<T>> {
  const res = await fetch(url, {
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } } : {})
  })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, headers: res.headers, body: (type.includes('json') && text !== '' ? JSON.parse(text) : text) as T }
}

/** POSTs rates one by one as a rating system would; returns the stored rates in the same order. */
export async function postRates (server: TestServer, rates: Record<string, unknown>[]): Promise<any[]> {
  const stored: any[] = []
  for (const rate of rates) {
    const res = await call('POST', `${server.api}/appliedCustomerBillingRate`, rate)
    if (res.status !== 201) throw new Error(`rate not created (${res.status}): ${JSON.stringify(res.body)}`)
    stored.push(res.body)
  }
  return stored
}

/** The engine's bill run against the server's own store, as `tmfbill bill-run --as-of` runs it. */
export function billRun (server: TestServer, asOf: string, clock: Clock): Promise<BillRunResult> {
  return runBillRun({ asOf: new Date(asOf), defaultCycleDay: server.config.billCycleDay },
    { store: server.store, clock, billing: billingOptions(server.config, server.store) })
}

/** Every bill, through the API, in bill-number order. */
export async function listBills (server: TestServer): Promise<any[]> {
  const res = await call<any[]>('GET', `${server.api}/customerBill?limit=1000`)
  if (res.status !== 200) throw new Error(`GET customerBill answered ${res.status}`)
  return res.body.sort((a, b) => (a.billNo < b.billNo ? -1 : 1))
}

/** An exact decimal from a JSON number as the API writes money (≤ 15 significant digits round-trip). */
export function dec (value: number | string): Decimal {
  return new Decimal(String(value))
}

/** Half-up (away from zero) to the currency's minor units: the documented default rounding (0003). */
export function roundHalfUp (amount: Decimal, minorDigits: number): Decimal {
  return amount.toDecimalPlaces(minorDigits, Decimal.ROUND_HALF_UP)
}

export const MINOR: Record<string, number> = { EUR: 2, JPY: 0, KWD: 3, USD: 2 }

export async function waitFor<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
