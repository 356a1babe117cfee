import { asList, invalidParameter } from './attribute-path.ts'
import { parseFields } from './fields.ts'
import { parseFilters } from './filters.ts'
import { parseLimit, parseOffset, parseSort } from './paging.ts'
import type { Filter, ListQuery, RawQuery, RetrieveQuery } from './types.ts'

const RESERVED: ReadonlySet<string> = new Set(['fields', 'sort', 'offset', 'limit'])
// NOTE: TMF630 Part 2 `depth`/`expand` and Part 6 JSONPath `filter` are optional and not implemented.
// They are rejected rather than ignored: a client that relies on them would otherwise get a result that
// silently differs from what it asked for.
const UNSUPPORTED: ReadonlySet<string> = new Set(['depth', 'expand', 'filter'])

export interface ListQueryOptions {
  maxLimit: number
  defaultLimit?: number
}

/** Reads a list (collection GET) querystring: fields, sort, offset, limit, and attribute filters. */
export function parseListQuery (raw: RawQuery, opts: ListQueryOptions): ListQuery {
  const entries: Array<[string, string]> = []
  for (const [key, value] of Object.entries(raw)) {
    if (RESERVED.has(key) || value === undefined) continue
    rejectUnsupported(key)
    for (const item of asList(value)) entries.push([key, item])
  }
  const query: ListQuery = {
    filters: checkNotReserved(parseFilters(entries)),
    sort: parseSort(raw.sort),
    offset: parseOffset(raw.offset)
  }
  const fields = parseFields(raw.fields)
  if (fields !== undefined) query.fields = fields
  const limit = parseLimit(raw.limit, opts)
  if (limit !== undefined) query.limit = limit
  return query
}

/**
 * Reads a retrieve (GET by id) querystring, which accepts only `fields`. Any other key is rejected: a
 * filter on a single resource has no defined meaning in TMF630, and answering 200 with the resource
 * would look like the filter matched.
 */
export function parseRetrieveQuery (raw: RawQuery): RetrieveQuery {
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'fields' || value === undefined) continue
    rejectUnsupported(key)
    throw invalidParameter(key, `Only 'fields' can be used when retrieving one resource by id, not '${key}'`)
  }
  const fields = parseFields(raw.fields)
  return fields === undefined ? {} : { fields }
}

/** Filters for a querystring that has no paging or selection (the hub subscription `query`). */
export function parseFilterQuery (raw: RawQuery): Filter[] {
  const entries: Array<[string, string]> = []
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue
    rejectUnsupported(key)
    if (RESERVED.has(key)) throw invalidParameter(key, `'${key}' cannot be used here: only attribute filters are allowed`)
    for (const item of asList(value)) entries.push([key, item])
  }
  return checkNotReserved(parseFilters(entries))
}

function rejectUnsupported (key: string): void {
  if (UNSUPPORTED.has(key)) throw invalidParameter(key, `'${key}' is not supported by this server`)
}

/** `limit>5` parses as a filter on an attribute named `limit`: no resource has one, so it is a mistake. */
function checkNotReserved (filters: Filter[]): Filter[] {
  for (const { path } of filters) {
    const first = path[0] ?? ''
    if (RESERVED.has(first) || UNSUPPORTED.has(first)) {
      throw invalidParameter(first, `'${first}' takes a plain value (${first}=…), not an operator or a path`)
    }
  }
  return filters
}
