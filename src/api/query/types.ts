/**
 * The parsed form of a TMF630 query (docs/query-language.md). Produced by `parse-query.ts`, compiled to
 * SQL by `src/store/query-sql.ts` and evaluated in memory by `src/events/event-filter.ts`.
 */

export type FilterOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'regex'

export interface Filter {
  /** Attribute path, one entry per dot-separated segment: `amountDue.value` → `['amountDue', 'value']`. */
  path: string[]
  op: FilterOp
  /**
   * The values exactly as written (text). Several values only for `eq` (matches any of them) and `ne`
   * (matches none of them). How a value is typed depends on what it is compared with: see `values.ts`.
   */
  values: string[]
}

export interface SortKey {
  path: string[]
  direction: 'asc' | 'desc'
}

export interface ListQuery {
  /** Attribute selection (`fields=`), as dot paths; `undefined` means the complete representation. */
  fields?: string[]
  /** AND-combined. */
  filters: Filter[]
  /** Empty means the resource's default order; an `id` tiebreaker is always added by the store. */
  sort: SortKey[]
  offset: number
  /** `undefined` means no limit (all matches). */
  limit?: number
}

export interface RetrieveQuery {
  fields?: string[]
}

/** Fastify's parsed querystring: a repeated key gives an array. */
export type RawQuery = Record<string, string | string[] | undefined>
