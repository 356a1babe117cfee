import type BetterSqlite3 from 'better-sqlite3'
import { type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import type { Filter, FilterOp, ListQuery, SortKey } from '../api/query/types.ts'
import { type Comparison, type ValueTest, dayBounds, describeValue, jsonMatchFor } from '../api/query/values.ts'
import { DomainError, ErrorCodes } from '../domain/errors.ts'
import type { DialectName } from './dialect.ts'

/**
 * Compiles TMF630 filters and sort keys (docs/query-language.md) to SQL for SQLite and PostgreSQL.
 * Attributes mapped to a column use that column (and its index) with a parameter of the column's type;
 * any other attribute is read from the JSON `body`. Identifiers come only from the map or from validated
 * attribute names, and every value is a bound parameter.
 *
 * The query must select from `map.table` without an alias: expressions are qualified with the table
 * name so they stay unambiguous inside the `json_each` subqueries.
 */

export type ColumnType = 'text' | 'number' | 'money' | 'bool' | 'time'

export interface ResourceQueryMap {
  table: string
  /**
   * Attribute path (`billingAccount.id`) → indexed column holding the same value. `nullable` marks a
   * column that can be NULL (absent attribute); it only affects where such rows sort on SQLite.
   */
  columns: Record<string, { column: string; type: ColumnType; nullable?: boolean }>
  /**
   * First-level attributes that are arrays: `relatedParty.id=X` matches if any element matches. A
   * resource where the attribute holds a single object instead is matched as if it were that one element.
   */
  arrays: string[]
  /** Order when the query has no `sort`; an `id` tiebreaker (in the last key's direction) is always appended. */
  defaultSort: Array<{ column: string; direction: 'asc' | 'desc' }>
}

type Bool = RawBuilder<SqlBool>

/** WHERE for the filters (AND-combined), or undefined when there are none. */
export function compileWhere (filters: readonly Filter[], map: ResourceQueryMap, dialect: DialectName): Bool | undefined {
  if (filters.length === 0) return undefined
  return sql<SqlBool>`${sql.join(filters.map((f) => compileFilter(f, map, dialect)), sql` AND `)}`
}

/** Adds the WHERE of `filters`: use it for the `count(*)` query and the page query alike. */
export function applyFilters<QB extends SelectQueryBuilder<any, any, any>> (
  qb: QB, filters: readonly Filter[], map: ResourceQueryMap, dialect: DialectName): QB {
  const where = compileWhere(filters, map, dialect)
  return where === undefined ? qb : qb.where(where) as QB
}

/** Adds ORDER BY: the sort keys (or the map's default order), then `id` ascending for a stable order. */
export function applySort<QB extends SelectQueryBuilder<any, any, any>> (
  qb: QB, sort: readonly SortKey[], map: ResourceQueryMap, dialect: DialectName): QB {
  let out = qb
  for (const { expr, direction, nullable } of compileOrderBy(sort, map, dialect)) {
    // NOTE: missing values sort as if larger than any value on both stores (PostgreSQL's default), so
    // SQLite, whose NULLs are the smallest, needs the explicit clause — only where NULL can occur, since
    // the clause keeps SQLite from reading the order off an index.
    out = (dialect === 'postgres' || !nullable
      ? out.orderBy(expr, direction)
      : out.orderBy(expr, (ob) => direction === 'asc' ? ob.asc().nullsLast() : ob.desc().nullsFirst())) as QB
  }
  return out
}

/** WHERE and ORDER BY of a list query; paging (LIMIT/OFFSET) is left to the caller. */
export function applyListQuery<QB extends SelectQueryBuilder<any, any, any>> (
  qb: QB, q: Pick<ListQuery, 'filters' | 'sort'>, map: ResourceQueryMap, dialect: DialectName): QB {
  return applySort(applyFilters(qb, q.filters, map, dialect), q.sort, map, dialect)
}

export interface OrderItem {
  expr: RawBuilder<unknown>
  direction: 'asc' | 'desc'
  /** The expression can be NULL: SQLite then needs an explicit NULLS clause to order as PostgreSQL does. */
  nullable: boolean
}

export function compileOrderBy (sort: readonly SortKey[], map: ResourceQueryMap, dialect: DialectName): OrderItem[] {
  const items: OrderItem[] = sort.length > 0
    ? sort.flatMap((key) => sortKeyItems(key, map, dialect))
    : map.defaultSort.map(({ column, direction }) => columnOrderItem(map, column, direction, dialect))
  const byId = sort.some((key) => key.path.length === 1 && key.path[0] === 'id')
  // The tiebreaker only has to be stable, so it stays index-friendly (no collation, no NULLS clause), and it
  // follows the direction of the last key: `sort=-billDate` then walks a (bill_date, id) index backwards
  // instead of sorting every match.
  const direction = items[items.length - 1]?.direction ?? 'asc'
  return byId ? items : [...items, { expr: sql.ref(`${map.table}.id`), direction, nullable: false }]
}

/** Registers what the compiled SQL needs on a SQLite connection: `regexp(pattern, value)`. */
export function registerSqliteFunctions (db: BetterSqlite3.Database): void {
  const cache = new Map<string, RegExp | null>()
  db.function('regexp', { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (typeof pattern !== 'string' || typeof value !== 'string') return null
    let re = cache.get(pattern)
    if (re === undefined) {
      if (cache.size >= 256) cache.clear()
      re = compileRegex(pattern)
      cache.set(pattern, re)
    }
    return re !== null && re.test(value) ? 1 : 0
  })
}

function compileRegex (pattern: string): RegExp | null {
  try {
    return new RegExp(pattern)
  } catch {
    return null // the query parser rejects invalid patterns; an exception here would abort the statement
  }
}

/**
 * PostgreSQL evaluates `~` with its own regular-expression engine, which rejects some patterns that
 * JavaScript accepts (SQLSTATE 2201B). Whoever runs a query with a regex filter should turn this into an
 * INVALID_QUERY error, e.g. with `asQueryError`.
 */
export function isInvalidRegexError (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '2201B'
}

/** Rethrows a PostgreSQL invalid-regex error as the DomainError a client should see; other errors unchanged. */
export function asQueryError (err: unknown): unknown {
  if (!isInvalidRegexError(err)) return err
  return new DomainError(ErrorCodes.INVALID_QUERY, 'Invalid regular expression',
    `The database rejected the regular expression: ${(err as Error).message}`)
}

// ---------------------------------------------------------------------------------------------------
// Filters

function compileFilter (filter: Filter, map: ResourceQueryMap, dialect: DialectName): Bool {
  const attribute = filter.path.join('.')
  const mapped = map.columns[attribute]
  const op: Exclude<FilterOp, 'ne'> = filter.op === 'ne' ? 'eq' : filter.op
  const positive = mapped
    ? columnPredicate(sql.ref(`${map.table}.${mapped.column}`), mapped.type, attribute, op, filter.values, dialect)
    : jsonPredicate(map, filter.path, op, filter.values, dialect)
  // NOTE: `ne` is exactly "not eq": a resource without the attribute (or an array with no such element)
  // matches `ne`. COALESCE keeps NULL (missing) from turning NOT into "unknown".
  return filter.op === 'ne' ? sql<SqlBool>`NOT COALESCE(${positive}, false)` : positive
}

function invalidValue (attribute: string, detail: string): DomainError {
  return new DomainError(ErrorCodes.INVALID_QUERY, `Invalid query parameter '${attribute}'`, detail)
}

const CMP: Record<Exclude<FilterOp, 'ne' | 'regex'>, Comparison> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }

function columnPredicate (ref: RawBuilder<unknown>, type: ColumnType, attribute: string,
  op: Exclude<FilterOp, 'ne'>, values: readonly string[], dialect: DialectName): Bool {
  if (op === 'regex') return sql<SqlBool>`(${sql.join(values.map((p) => regexOnColumn(ref, type, attribute, p, dialect)), sql` OR `)})`
  if (type === 'time') return sql<SqlBool>`(${sql.join(values.map((v) => timeTest(ref, attribute, CMP[op], v, dialect)), sql` OR `)})`
  if (type === 'bool' && op !== 'eq') throw invalidValue(attribute, `'${attribute}' is true or false: only equality applies`)
  const params = values.map((v) => columnParam(type, attribute, v, dialect))
  // Equality leaves a text column as it is, so its index (built with the default collation) is used.
  // NOTE: one value is compared with `=`: SQLite uses a partial index (`WHERE is_billed = 0`) for `= 0`, not `IN (0)`.
  if (op === 'eq' && params.length === 1) return sql<SqlBool>`${numericIfMoney(ref, type, dialect)} = ${params[0]}`
  if (op === 'eq') return sql<SqlBool>`${numericIfMoney(ref, type, dialect)} IN (${sql.join(params)})`
  return sql<SqlBool>`${orderedColumn(ref, type, dialect)} ${sql.raw(CMP[op])} ${params[0]}`
}

/** Money is decimal text on SQLite: compare it as a number (a double is precise enough to filter and sort). */
function numericIfMoney (ref: RawBuilder<unknown>, type: ColumnType, dialect: DialectName): RawBuilder<unknown> {
  return type === 'money' && dialect === 'sqlite' ? sql`CAST(${ref} AS REAL)` : ref
}

/**
 * The column as it orders. NOTE: text orders bytewise on both stores (SQLite's BINARY, PostgreSQL's "C"),
 * so a sort or a range filter gives the same answer whatever the PostgreSQL database's locale.
 */
function orderedColumn (ref: RawBuilder<unknown>, type: ColumnType, dialect: DialectName): RawBuilder<unknown> {
  if (type === 'text' && dialect === 'postgres') return sql`${ref} COLLATE "C"`
  return numericIfMoney(ref, type, dialect)
}

function columnParam (type: ColumnType, attribute: string, text: string, dialect: DialectName): RawBuilder<unknown> {
  const value = describeValue(text)
  switch (type) {
    case 'text':
      return sql.val(text)
    case 'number':
    case 'money':
      if (value.number === undefined) throw invalidValue(attribute, `'${attribute}' is a number: '${text}' is not one`)
      return dialect === 'postgres' ? sql`${value.number}::numeric` : sql.val(Number(value.number))
    case 'bool':
      if (value.bool === undefined) throw invalidValue(attribute, `'${attribute}' is true or false, not '${text}'`)
      // NOTE: booleans are stored as 0/1 integers, compared with a literal 0 or 1 (nothing else can get here):
      // the planner of either store uses a partial index `WHERE is_billed = 0` only for a literal (migration 0005).
      return sql.lit(value.bool ? 1 : 0)
    case 'time':
      throw new Error('time columns are compared by timeTest')
  }
}

function timeTest (ref: RawBuilder<unknown>, attribute: string, cmp: Comparison, text: string, dialect: DialectName): Bool {
  const value = describeValue(text)
  const at = (iso: string): RawBuilder<unknown> => dialect === 'postgres' ? sql`${iso}::timestamptz` : sql.val(iso)
  if (value.day) {
    // NOTE: a date-only value is the whole UTC day (see values.ts), expressed as a range so the index is used.
    const { first, next } = dayBounds(value.day)
    switch (cmp) {
      case '=': return sql<SqlBool>`(${ref} >= ${at(first)} AND ${ref} < ${at(next)})`
      case '>': return sql<SqlBool>`${ref} >= ${at(next)}`
      case '>=': return sql<SqlBool>`${ref} >= ${at(first)}`
      case '<': return sql<SqlBool>`${ref} < ${at(first)}`
      case '<=': return sql<SqlBool>`${ref} < ${at(next)}`
    }
  }
  if (value.instant === undefined) {
    throw invalidValue(attribute, `'${attribute}' is a date-time: '${text}' is neither YYYY-MM-DD nor an ISO 8601 date-time`)
  }
  return sql<SqlBool>`${ref} ${sql.raw(cmp)} ${at(value.instant)}`
}

function regexOnColumn (ref: RawBuilder<unknown>, type: ColumnType, attribute: string, pattern: string, dialect: DialectName): Bool {
  if (type !== 'text' && type !== 'time') throw invalidValue(attribute, `A regular expression applies to text, and '${attribute}' is not text`)
  const text = type === 'time' && dialect === 'postgres'
    ? sql`to_char(${ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : ref
  return dialect === 'postgres' ? sql<SqlBool>`${text} ~ ${pattern}` : sql<SqlBool>`regexp(${pattern}, ${text})`
}

// ---------------------------------------------------------------------------------------------------
// Attributes read from the JSON body. A JSON value is reached through a "handle": on SQLite its
// json_type and its SQL value, on PostgreSQL the jsonb value itself.

interface Handle { type: RawBuilder<unknown>; value: RawBuilder<unknown> }

function jsonPredicate (map: ResourceQueryMap, path: string[], op: Exclude<FilterOp, 'ne'>,
  values: readonly string[], dialect: DialectName): Bool {
  const match = jsonMatchFor(op, values)
  const test = (h: Handle): Bool => sql<SqlBool>`(${sql.join(match.map((all) =>
    sql`(${sql.join(all.map((t) => valueTest(h, t, dialect)), sql` AND `)})`), sql` OR `)})`
  const body = sql.ref(`${map.table}.body`)
  const [first = '', ...rest] = path
  if (!map.arrays.includes(first)) return test(handleAt(body, path, dialect))
  return dialect === 'postgres' ? pgAnyElement(body, first, rest, test) : sqliteAnyElement(body, first, rest, test)
}

function handleAt (json: RawBuilder<unknown>, path: readonly string[], dialect: DialectName): Handle {
  if (dialect === 'postgres') {
    const value = sql`(${json} #> ${path}::text[])`
    return { type: sql`jsonb_typeof(${value})`, value }
  }
  const p = sqliteJsonPath(path)
  return { type: sql`json_type(${json}, ${p})`, value: sql`json_extract(${json}, ${p})` }
}

/** `$."a"."b"`: quoted, so names such as `@type` need no escaping (names are validated: no quotes). */
function sqliteJsonPath (path: readonly string[]): string {
  return '$' + path.map((segment) => `."${segment}"`).join('')
}

function sqliteAnyElement (body: RawBuilder<unknown>, name: string, rest: string[], test: (h: Handle) => Bool): Bool {
  const arrayPath = sqliteJsonPath([name])
  // A non-object element has no attributes: feed NULL to json_type instead of letting it parse a string.
  const element = sql`(CASE WHEN e.type = 'object' THEN e.value END)`
  const h: Handle = rest.length === 0
    ? { type: sql`e.type`, value: sql`e.atom` }
    : handleAt(element, rest, 'sqlite')
  return sql<SqlBool>`(CASE WHEN json_type(${body}, ${arrayPath}) = 'array'
    THEN EXISTS (SELECT 1 FROM json_each(${body}, ${arrayPath}) AS e WHERE ${test(h)})
    ELSE ${test(handleAt(body, [name, ...rest], 'sqlite'))} END)`
}

function pgAnyElement (body: RawBuilder<unknown>, name: string, rest: string[], test: (h: Handle) => Bool): Bool {
  const array = sql`(${body} #> ${[name]}::text[])`
  const h: Handle = rest.length === 0
    ? { type: sql`jsonb_typeof(e.v)`, value: sql`e.v` }
    : handleAt(sql`e.v`, rest, 'postgres')
  // The CASE inside jsonb_array_elements keeps it from raising on a non-array even if the planner
  // evaluates it first.
  return sql<SqlBool>`(CASE WHEN jsonb_typeof(${array}) = 'array'
    THEN EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ELSE '[]'::jsonb END) AS e(v) WHERE ${test(h)})
    ELSE ${test(handleAt(body, [name, ...rest], 'postgres'))} END)`
}

/** One typed test; it can only be true for a stored value of its own JSON type, so it never raises. */
function valueTest (h: Handle, t: ValueTest, dialect: DialectName): RawBuilder<unknown> {
  const pg = dialect === 'postgres'
  const text = pg ? sql`(${h.value} #>> '{}') COLLATE "C"` : h.value
  switch (t.kind) {
    case 'number':
      return pg
        ? sql`(${h.type} = 'number' AND ${h.value} ${sql.raw(t.cmp)} ${t.operand}::jsonb)`
        : sql`(${h.type} IN ('integer', 'real') AND ${h.value} ${sql.raw(t.cmp)} ${Number(t.operand)})`
    case 'string':
      return sql`(${h.type} = ${pg ? sql`'string'` : sql`'text'`} AND ${text} ${sql.raw(t.cmp)} ${t.operand})`
    case 'bool': {
      const literal = sql.raw(t.operand ? "'true'" : "'false'")
      // SQLite's json_type tells true from false (json_extract would give 1/0, like a number).
      return pg ? sql`(${h.value} = ${literal}::jsonb)` : sql`(${h.type} = ${literal})`
    }
    case 'regex':
      return pg
        ? sql`(${h.type} = 'string' AND (${h.value} #>> '{}') ~ ${t.pattern})`
        : sql`(${h.type} = 'text' AND regexp(${t.pattern}, ${h.value}))`
  }
}

// ---------------------------------------------------------------------------------------------------
// Sorting

function sortKeyItems (key: SortKey, map: ResourceQueryMap, dialect: DialectName): OrderItem[] {
  const mapped = map.columns[key.path.join('.')]
  if (mapped) return [columnOrderItem(map, mapped.column, key.direction, dialect)]
  // NOTE: a JSON attribute may hold numbers in some resources and strings in others: numbers come first
  // (numerically), then strings (bytewise), then anything else — the same on both stores.
  const h = handleAt(sql.ref(`${map.table}.body`), key.path, dialect)
  const pg = dialect === 'postgres'
  const numeric = pg
    ? sql`(CASE WHEN ${h.type} = 'number' THEN (${h.value})::numeric END)`
    : sql`(CASE WHEN ${h.type} IN ('integer', 'real') THEN ${h.value} END)`
  const text = pg
    ? sql`(CASE WHEN ${h.type} = 'string' THEN ${h.value} #>> '{}' END) COLLATE "C"`
    : sql`(CASE WHEN ${h.type} = 'text' THEN ${h.value} END)`
  return [{ expr: numeric, direction: key.direction, nullable: true }, { expr: text, direction: key.direction, nullable: true }]
}

function columnOrderItem (map: ResourceQueryMap, column: string, direction: 'asc' | 'desc', dialect: DialectName): OrderItem {
  const spec = Object.values(map.columns).find((c) => c.column === column)
  return {
    expr: orderedColumn(sql.ref(`${map.table}.${column}`), spec?.type ?? 'text', dialect),
    direction,
    nullable: spec?.nullable === true
  }
}
