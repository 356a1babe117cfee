import type { FilterOp } from './types.ts'

/**
 * How a query value (always text in a URL) is typed. The one definition shared by the SQL compiler
 * (src/store/query-sql.ts) and the in-memory matcher (src/events/event-filter.ts), so a list query and a
 * hub subscription with the same filter select the same resources. This module has no dependencies.
 */
export interface QueryValue {
  text: string
  /** The text, when it is a JSON number literal (`10`, `-2.5`, `1e3`; not `007` or `+1`). */
  number?: string
  bool?: boolean
  /** A date-only value `YYYY-MM-DD` denotes the whole UTC day: `[first, next)`, both `YYYY-MM-DD`. */
  day?: { first: string; next: string }
  /** A date-time value, normalised to the form tmfbill stores: `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  instant?: string
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
// NOTE: a `+` in an unencoded URL arrives as a space, so `…T10:00:00+02:00` is accepted as `…T10:00:00 02:00`.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+\- ]\d{2}:?\d{2})?$/

export function describeValue (text: string): QueryValue {
  const value: QueryValue = { text }
  if (JSON_NUMBER.test(text) && Number.isFinite(Number(text))) value.number = text
  if (text === 'true' || text === 'false') value.bool = text === 'true'
  const day = dayOf(text)
  if (day) value.day = day
  const instant = instantOf(text)
  if (instant) value.instant = instant
  return value
}

function dayOf (text: string): { first: string; next: string } | undefined {
  if (!DATE.test(text)) return undefined
  const start = Date.parse(`${text}T00:00:00.000Z`)
  // Date.parse rolls 2024-02-30 over to March 1st: a real calendar day round-trips.
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== text) return undefined
  return { first: text, next: new Date(start + 86_400_000).toISOString().slice(0, 10) }
}

function instantOf (text: string): string | undefined {
  const m = DATE_TIME.exec(text)
  if (!m) return undefined
  const [, date = '', hh = '', mm = '', ss = '00', fraction = '', zone = 'Z'] = m
  if (!dayOf(date) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return undefined
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zoneOf(zone)
  const ms = Date.parse(`${date}T${hh}:${mm}:${ss}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

function zoneOf (zone: string): string {
  const digits = zone.slice(1).replace(':', '')
  const sign = zone[0] === '-' ? '-' : '+'
  return `${sign}${digits.slice(0, 2)}:${digits.slice(2)}`
}

export type Comparison = '=' | '<' | '<=' | '>' | '>='

/** One test on a stored JSON value; a test only ever matches a value of its own JSON type. */
export type ValueTest =
  | { kind: 'number'; cmp: Comparison; operand: string }
  | { kind: 'string'; cmp: Comparison; operand: string }
  | { kind: 'bool'; operand: boolean }
  | { kind: 'regex'; pattern: string }

/** Alternatives (OR) of conjunctions (AND) of tests on one stored value. */
export type ValueMatch = ValueTest[][]

const COMPARISON: Record<'eq' | 'gt' | 'gte' | 'lt' | 'lte', Comparison> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }

/**
 * What a filter means for an attribute read from the JSON representation, whatever its type: numbers
 * compare numerically with number literals, booleans equal `true`/`false`, strings compare as text
 * (bytewise; a date-only value covers its whole day; a date-time value is normalised first). A test
 * never matches a value of another JSON type, so nothing can fail on unexpected data. `ne` is the
 * negation of `eq` and is built by the caller.
 */
export function jsonMatchFor (op: Exclude<FilterOp, 'ne'>, values: readonly string[]): ValueMatch {
  return values.flatMap((text) => op === 'regex'
    ? [[{ kind: 'regex', pattern: text } as const]]
    : matchOne(COMPARISON[op], describeValue(text)))
}

function matchOne (cmp: Comparison, value: QueryValue): ValueMatch {
  const number: ValueMatch = value.number === undefined ? [] : [[{ kind: 'number', cmp, operand: value.number }]]
  // NOTE: an ordering with a number compares numbers only (characteristic.value.gt=5 must not match
  // "high" because "h" sorts after "5"); equality also accepts the same text, since identifiers such as
  // relatedParty.id=42 are usually strings that look like numbers.
  if (cmp !== '=' && value.number !== undefined) return number
  const bool: ValueMatch = value.bool === undefined ? [] : [[{ kind: 'bool', operand: value.bool }]]
  return [...number, ...bool, ...stringMatch(cmp, value)]
}

function stringMatch (cmp: Comparison, value: QueryValue): ValueMatch {
  const string = (c: Comparison, operand: string): ValueTest => ({ kind: 'string', cmp: c, operand })
  if (value.day) {
    const { first, next } = value.day
    // NOTE: a date-only value is the whole day, as the TM Forum RI's partial date-time equality:
    // billDate=2024-01-05 matches 2024-01-05T12:00:56Z, and billDate.lte=2024-01-05 includes that day.
    switch (cmp) {
      case '=': return [[string('>=', first), string('<', next)]]
      case '>': return [[string('>=', next)]]
      case '>=': return [[string('>=', first)]]
      case '<': return [[string('<', first)]]
      case '<=': return [[string('<', next)]]
    }
  }
  if (value.instant !== undefined) {
    const normalised = [[string(cmp, value.instant)]]
    return cmp === '=' && value.instant !== value.text ? [...normalised, [string('=', value.text)]] : normalised
  }
  return [[string(cmp, value.text)]]
}

/** Day bounds as instants, for attributes stored as timestamps. */
export function dayBounds (day: { first: string; next: string }): { first: string; next: string } {
  return { first: `${day.first}T00:00:00.000Z`, next: `${day.next}T00:00:00.000Z` }
}
