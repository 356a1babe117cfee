import { invalidParameter, parseAttributePath } from './attribute-path.ts'
import type { Filter, FilterOp } from './types.ts'

/**
 * Attribute filters. A querystring parser splits `key=value` at the first `=` and percent-decodes both
 * halves, so operators land in different places depending on how the client wrote them:
 *
 *   written                    arrives as (key → value)
 *   a>=10, a%3E=10             'a>'    → '10'
 *   a>10, a%3E10, a<10         'a>10'  → ''          (no '=' at all)
 *   a%3E%3D10, a%3C%3D10       'a>=10' → ''
 *   a<=10                      'a<'    → '10'
 *   a!=x                       'a!'    → 'x'
 *   a==x                       'a'     → '=x'
 *   a=~re                      'a'     → '~re'
 *   a*=re                      'a*'    → 're'
 *   a=%3E21 (operator in value) 'a'    → '>21'
 *
 * Gluing key and value back together (`key=value`, or just `key` when the value is empty) gives back
 * the term as written, which is then read left to right: attribute name, operator, value. Attribute
 * names cannot contain operator characters, so this is unambiguous.
 */

const SYMBOLS: ReadonlyArray<readonly [string, FilterOp]> = [
  ['==', 'eq'], ['!=', 'ne'], ['>=', 'gte'], ['<=', 'lte'], ['=~', 'regex'], ['*=', 'regex'],
  ['>', 'gt'], ['<', 'lt'], ['=', 'eq']
]
// The RI (query-to-mongo) style `a=>21`: an operator at the start of the value of a plain `=`.
const VALUE_SYMBOLS: ReadonlyArray<readonly [string, FilterOp]> = [
  ['>=', 'gte'], ['<=', 'lte'], ['!=', 'ne'], ['>', 'gt'], ['<', 'lt']
]
const SUFFIXES: ReadonlySet<string> = new Set<FilterOp>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'regex'])
const NAME = /^[A-Za-z0-9_@.]*/
const MAX_VALUES = 100
const MAX_REGEX_LENGTH = 256
const OPERATORS_HELP = 'use =, ==, !=, >, >=, <, <=, =~, *= or a .eq .ne .gt .gte .lt .lte .regex suffix'

interface Term {
  path: string[]
  op: FilterOp
  value: string
  /** Everything before the value as written (`state=`, `amountDue.value.gte=`), for `;` lists. */
  head: string
}

/** Parses querystring entries that are all attribute filters; the result is AND-combined. */
export function parseFilters (entries: ReadonlyArray<readonly [string, string]>): Filter[] {
  const merged = new Map<string, Filter>()
  const filters: Filter[] = []
  for (const [key, value] of entries) {
    const filter = toFilter(key, parseTerm(key, value === '' ? key : `${key}=${value}`))
    // NOTE: all equality values on one attribute are alternatives (state=new&state=onHold is OR),
    // whereas two range conditions (a.gt=1&a.lt=5) must both hold.
    const mergeKey = filter.op === 'eq' || filter.op === 'ne' ? `${filter.op} ${filter.path.join('.')}` : undefined
    const existing = mergeKey === undefined ? undefined : merged.get(mergeKey)
    if (existing) {
      existing.values.push(...filter.values)
    } else {
      if (mergeKey !== undefined) merged.set(mergeKey, filter)
      filters.push(filter)
    }
  }
  for (const filter of filters) checkSize(filter)
  return filters
}

function parseTerm (key: string, text: string): Term {
  const name = NAME.exec(text)?.[0] ?? ''
  const rest = text.slice(name.length)
  const symbol = SYMBOLS.find(([s]) => rest.startsWith(s))
  // `state=` and `state` both arrive as key `state` with an empty value.
  if (rest === '') throw invalidParameter(key, `'${text}' has no value (write ${text}=value)`)
  if (!symbol) throw invalidParameter(key, `'${rest.slice(0, 2)}' in '${text}' is not an operator: ${OPERATORS_HELP}`)
  let path = parseAttributePath(name, key)
  let op = symbol[1]
  let head = name + symbol[0]
  let value = rest.slice(symbol[0].length)
  const suffix = path.length > 1 ? path[path.length - 1] : undefined
  if (suffix !== undefined && SUFFIXES.has(suffix)) {
    if (symbol[0] !== '=') throw invalidParameter(key, `'${text}' has two operators: write ${name}=value`)
    path = path.slice(0, -1)
    op = suffix as FilterOp
  } else if (symbol[0] === '=') {
    const inValue = VALUE_SYMBOLS.find(([s]) => value.startsWith(s))
    if (inValue) {
      op = inValue[1]
      head += inValue[0]
      value = value.slice(inValue[0].length)
    }
  }
  if (value === '') throw invalidParameter(key, `'${text}' has no value`)
  return { path, op, value, head }
}

function toFilter (key: string, term: Term): Filter {
  const { path, op, value, head } = term
  if (op === 'regex') checkRegex(key, value)
  if (op !== 'eq' && op !== 'ne') return { path, op, values: [value] }
  return { path, op, values: alternativesOf(key, head, value) }
}

/** `new,onHold`, `new;onHold` and `new;state=onHold` all list alternatives for the same attribute. */
function alternativesOf (key: string, head: string, value: string): string[] {
  const values = value.split(';')
    .map((piece, i) => i > 0 && piece.startsWith(head) ? piece.slice(head.length) : piece)
    .flatMap((piece) => piece.split(','))
  if (values.includes('')) throw invalidParameter(key, `'${head}${value}' has an empty value in its list`)
  return values
}

function checkRegex (parameter: string, pattern: string): void {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw invalidParameter(parameter, `The regular expression is longer than ${MAX_REGEX_LENGTH} characters`)
  }
  try {
    void new RegExp(pattern) // constructed only to see whether the pattern compiles
  } catch {
    throw invalidParameter(parameter, `'${pattern}' is not a valid regular expression`)
  }
}

function checkSize (filter: Filter): void {
  if (filter.values.length > MAX_VALUES) {
    throw invalidParameter(filter.path.join('.'), `At most ${MAX_VALUES} alternative values are allowed`)
  }
}
