import { parse } from 'node:querystring'
import { parseFilterQuery } from '../api/query/parse-query.ts'
import type { Filter, RawQuery } from '../api/query/types.ts'
import { type Comparison, type ValueMatch, type ValueTest, jsonMatchFor } from '../api/query/values.ts'

/**
 * Hub subscription filters (TMF630 §6.1: the listener's `query`, e.g.
 * `eventType=CustomerBillStateChangeEvent&event.customerBill.state=settled`), read with the same parser
 * and the same value semantics as list queries, and evaluated in memory against each event message.
 */

/** Parses a hub `query`; empty or absent means every event. Errors are DomainError INVALID_QUERY. */
export function parseSubscriptionQuery (query: string | null | undefined): Filter[] {
  const text = (query ?? '').trim().replace(/^\?/, '')
  if (text === '') return []
  return parseFilterQuery(trimmed(parse(text)))
}

/**
 * Registrations are written by hand more often than URLs (`eventType = X`): spaces around keys and
 * values carry no meaning there.
 */
function trimmed (raw: Record<string, string | string[] | undefined>): RawQuery {
  const out: Record<string, string[]> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue
    const list = (Array.isArray(value) ? value : [value]).map((v) => v.trim())
    const name = key.trim()
    out[name] = [...(Object.hasOwn(out, name) ? out[name] ?? [] : []), ...list]
  }
  return out
}

/**
 * True when `doc` satisfies every filter. Same semantics as the SQL compiler (src/store/query-sql.ts):
 * dot paths, type-aware comparisons, `ne` = not `eq`. Arrays match when any element matches; unlike the
 * SQL side, which knows only the first-level arrays of a resource, this applies at any depth.
 */
export function matchesFilters (doc: unknown, filters: readonly Filter[]): boolean {
  return filters.every((filter) => matchesFilter(doc, filter))
}

function matchesFilter (doc: unknown, filter: Filter): boolean {
  const found = valuesAt(doc, filter.path)
  if (filter.op === 'ne') return !anyMatches(found, jsonMatchFor('eq', filter.values))
  return anyMatches(found, jsonMatchFor(filter.op, filter.values))
}

/** Every value at `path`, looking into each element of the arrays met on the way. */
function valuesAt (doc: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [doc]
  for (const segment of path) {
    current = current.flatMap(elements).flatMap((value) =>
      isRecord(value) && Object.hasOwn(value, segment) ? [value[segment]] : [])
  }
  return current.flatMap(elements)
}

function elements (value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value]
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function anyMatches (found: readonly unknown[], match: ValueMatch): boolean {
  return found.some((value) => match.some((all) => all.every((test) => passes(value, test))))
}

function passes (value: unknown, test: ValueTest): boolean {
  switch (test.kind) {
    case 'number':
      return typeof value === 'number' && compare(value - Number(test.operand), test.cmp)
    case 'string':
      // Bytewise UTF-8 order, as SQLite and PostgreSQL's "C" collation compare text.
      return typeof value === 'string' && compare(Buffer.compare(Buffer.from(value), Buffer.from(test.operand)), test.cmp)
    case 'bool':
      return value === test.operand
    case 'regex':
      return typeof value === 'string' && regexOf(test.pattern).test(value)
  }
}

function compare (difference: number, cmp: Comparison): boolean {
  switch (cmp) {
    case '=': return difference === 0
    case '<': return difference < 0
    case '<=': return difference <= 0
    case '>': return difference > 0
    case '>=': return difference >= 0
  }
}

const regexCache = new Map<string, RegExp>()

/** Patterns were validated by the parser; compiled once, since every event is tested against them. */
function regexOf (pattern: string): RegExp {
  let re = regexCache.get(pattern)
  if (re === undefined) {
    if (regexCache.size >= 256) regexCache.clear()
    re = new RegExp(pattern)
    regexCache.set(pattern, re)
  }
  return re
}
