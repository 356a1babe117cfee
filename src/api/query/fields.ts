import { asList, invalidParameter, parseAttributePath } from './attribute-path.ts'

/**
 * Attribute selection (TMF630 `fields`). `fields=a,b` or repeated `fields=a&fields=b`; `none` selects
 * nothing beyond `id` and `href`, which are always returned. Dot paths (`billingAccount.id`) select inside
 * objects and inside every element of an array. Unknown names select nothing (no error), as TMF asks
 * that attribute selection be tolerant; malformed names are rejected.
 */
export function parseFields (raw: string | string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined
  const names = asList(raw).flatMap((value) => value.split(','))
    .map((name) => name.trim())
  if (names.every((name) => name === '')) {
    throw invalidParameter('fields', "'fields' is empty: list attribute names, or 'none' for only id and href")
  }
  const selected = names.filter((name) => name !== '' && name !== 'none')
  for (const name of selected) parseAttributePath(name, 'fields')
  return [...new Set(selected)]
}

type Selection = Map<string, Selection | true>

const ALWAYS = ['id', 'href']

/** Keeps `id`, `href` and the selected attributes, in the resource's own attribute order. */
export function projectFields<T extends object> (resource: T, fields: readonly string[] | undefined): Partial<T> {
  return fieldProjection(fields)(resource) as Partial<T>
}

/** `projectFields` for many resources: the selection is built once (a list applies it to every item). */
export function fieldProjection (fields: readonly string[] | undefined): <T extends object>(resource: T) => Partial<T> {
  if (fields === undefined) return (resource) => resource
  const selection: Selection = new Map(ALWAYS.map((name) => [name, true]))
  for (const field of fields) select(selection, field.split('.'))
  return (resource) => project(resource, selection) as Partial<typeof resource>
}

function select (selection: Selection, path: string[]): void {
  const [head, ...rest] = path
  if (head === undefined) return
  const current = selection.get(head)
  if (current === true) return
  if (rest.length === 0) {
    selection.set(head, true)
    return
  }
  const child: Selection = current ?? new Map()
  selection.set(head, child)
  select(child, rest)
}

function project (value: object, selection: Selection): object {
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    const wanted = selection.get(key)
    if (wanted === true) out[key] = inner
    else if (wanted !== undefined) {
      const projected = projectInner(inner, wanted)
      if (projected !== undefined) out[key] = projected
    }
  }
  return out
}

function projectInner (value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) {
    return value.map((element) => projectInner(element, selection)).filter((element) => element !== undefined)
  }
  if (value !== null && typeof value === 'object') return project(value, selection)
  return undefined // a scalar has no inner attributes to select
}
