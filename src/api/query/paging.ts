import { asList, invalidParameter, parseAttributePath, singleValue } from './attribute-path.ts'
import type { SortKey } from './types.ts'

/** `sort=-billDate,billNo`: `-` descending, `+` (or nothing) ascending; repeated `sort` keys concatenate. */
export function parseSort (raw: string | string[] | undefined): SortKey[] {
  if (raw === undefined) return []
  const items = asList(raw).flatMap((value) => value.split(','))
  return items.map((item) => {
    // NOTE: an unencoded `+` arrives as a space, so ` billNo` is `+billNo`.
    const text = item.trim()
    const direction = text.startsWith('-') ? 'desc' : 'asc'
    const name = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text
    if (name === '') throw invalidParameter('sort', `'${item}' names no attribute (sort=attr, sort=-attr, sort=a,-b)`)
    return { path: parseAttributePath(name, 'sort'), direction }
  })
}

/** `offset`: a non-negative integer, default 0. */
export function parseOffset (raw: string | string[] | undefined): number {
  const text = singleValue(raw, 'offset')
  return text === undefined ? 0 : nonNegativeInteger(text, 'offset')
}

/**
 * `limit`: a non-negative integer. `limit=0` is allowed and returns no items but still the total count
 * (X-Total-Count), a cheap "how many?". Above `maxLimit` it is clamped rather than rejected, so a client
 * asking for "everything" still gets a full first page and X-Total-Count tells it more exist.
 * Without `limit`, `defaultLimit` applies (itself clamped); with no default the whole result is returned.
 */
export function parseLimit (raw: string | string[] | undefined, opts: { maxLimit: number; defaultLimit?: number }): number | undefined {
  const text = singleValue(raw, 'limit')
  const limit = text === undefined ? opts.defaultLimit : nonNegativeInteger(text, 'limit')
  return limit === undefined ? undefined : Math.min(limit, opts.maxLimit)
}

function nonNegativeInteger (text: string, parameter: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw invalidParameter(parameter, `'${parameter}' must be a non-negative integer, got '${text}'`)
  }
  return value
}
