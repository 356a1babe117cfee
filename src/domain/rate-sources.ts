import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { parse as parseCsv } from 'csv-parse'
import type { ImportLine } from './import-rates.ts'

/** NDJSON: one JSON object per line; blank lines are skipped, a line that is not an object is rejected. */
export async function * ndjsonLines (input: Readable): AsyncGenerator<ImportLine> {
  let line = 0
  for await (const texts of lineBatches(input)) {
    for (const text of texts) {
      line++
      if (text.trim() === '') continue
      try {
        const value: unknown = JSON.parse(text)
        if (value === null || typeof value !== 'object' || Array.isArray(value)) yield { line, error: 'line is not a JSON object' }
        else yield { line, record: value as Record<string, unknown> }
      } catch (err) {
        yield { line, error: `malformed JSON: ${(err as Error).message}` }
      }
    }
  }
}

const LINE_BREAK = /\r\n|\n|\r/

/**
 * The lines of a UTF-8 stream, the lines of each chunk together, split as node:readline splits them with
 * `crlfDelay: Infinity` (\n, \r\n or a lone \r; an incomplete character at the very end is dropped), without
 * its cost per line, which was a tenth of a bulk import.
 */
export async function * lineBatches (input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8')
  let rest = ''
  let skipNewline = false
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk)
    if (text === '') continue
    // A \r that ended the previous chunk was a line break; a \n right after it belongs to it.
    if (skipNewline && text.startsWith('\n')) text = text.slice(1)
    skipNewline = text.endsWith('\r')
    const lines = (rest + text).split(LINE_BREAK)
    rest = lines.pop() ?? ''
    if (lines.length > 0) yield lines
  }
  if (rest !== '') yield [rest]
}

/**
 * CSV with a header row. Columns (docs/import.md): externalId, billingAccountId, billingAccountName, date,
 * amount, currency, taxIncludedAmount, taxCategory, taxRate, taxAmount, type, productId, productName, name,
 * description. Only billingAccountId, date, amount and currency are required.
 */
export async function * csvLines (input: Readable): AsyncGenerator<ImportLine> {
  const parser = input.pipe(parseCsv({ columns: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }))
  for await (const row of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: row.info.lines, record: csvRecordToRate(row.record) }
  }
}

function csvRecordToRate (r: Record<string, string>): Record<string, unknown> {
  const opt = (k: string) => (r[k] !== undefined && r[k] !== '' ? r[k] : undefined)
  const currency = opt('currency')
  const out: Record<string, unknown> = {
    date: opt('date'),
    billingAccount: { id: opt('billingAccountId'), ...(opt('billingAccountName') ? { name: opt('billingAccountName') } : {}) },
    taxExcludedAmount: { unit: currency, value: opt('amount') }
  }
  for (const k of ['externalId', 'type', 'name', 'description'] as const) if (opt(k)) out[k] = opt(k)
  if (opt('productId')) out.product = { id: opt('productId'), ...(opt('productName') ? { name: opt('productName') } : {}) }
  if (opt('taxIncludedAmount')) out.taxIncludedAmount = { unit: currency, value: opt('taxIncludedAmount') }
  if (opt('taxCategory') && opt('taxAmount')) {
    // NOTE: AppliedBillingTaxRate.taxRate is a JSON number in TMF; a decimal text of up to 15 digits survives
    // the double exactly (parseAmount reads it back through String()), anything else stays text and is refused.
    const rate = opt('taxRate')
    const taxRate = rate !== undefined && /^\d{1,3}(\.\d{1,12})?$/.test(rate) ? Number(rate) : rate
    out.appliedTax = [{ taxCategory: opt('taxCategory'), ...(taxRate !== undefined ? { taxRate } : {}), taxAmount: { unit: currency, value: opt('taxAmount') } }]
  }
  return out
}
