import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DomainError, ErrorCodes } from '../domain/errors.ts'

// NOTE: PostgreSQL refuses U+0000 in text and jsonb, and an unpaired UTF-16 surrogate in jsonb; SQLite keeps
// both. Left alone, the same request would work on one store and be a 500 on the other, so such text is
// refused on the way in, on every route, before anything reaches a store.
const NUL = '\u0000'
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function storable (text: string): boolean {
  return !text.includes(NUL) && !LONE_SURROGATE.test(text)
}

/** Where in a parsed JSON body the first unstorable key or string is (`Attribute 'a.b[2]'`), or undefined. */
function findUnstorable (value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return storable(value) ? undefined : path === '' ? 'The body' : `Attribute '${path}'`
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorable(item, `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  // Only JSON objects are walked: a streamed NDJSON body is an object too, and its lines are checked one by one.
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return undefined
  for (const [key, item] of Object.entries(value)) {
    const here = path === '' ? key : `${path}.${key}`
    if (!storable(key)) return path === '' ? 'An attribute name' : `An attribute name in '${path}'`
    const found = findUnstorable(item, here)
    if (found !== undefined) return found
  }
  return undefined
}

function checkRequest (req: FastifyRequest): void {
  const params = (req.params ?? {}) as Record<string, unknown>
  if (Object.values(params).some((v) => typeof v === 'string' && !storable(v))) {
    // No resource can have such an id.
    throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No resource at ${req.method} ${req.url.split('?')[0] ?? ''}`)
  }
  for (const [key, raw] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    const values = Array.isArray(raw) ? raw : [raw]
    if (!storable(key) || values.some((v) => typeof v === 'string' && !storable(v))) {
      throw new DomainError(ErrorCodes.INVALID_QUERY, 'Invalid query parameter',
        'Query parameters cannot contain the NUL character (%00) or unpaired surrogates')
    }
  }
  const problem = unstorableText(req.body)
  if (problem !== undefined) throw new DomainError(ErrorCodes.INVALID_BODY, 'Invalid text', problem)
}

/** Whether every key and string of a parsed JSON value can be stored: `findUnstorable` without building paths. */
function allStorable (value: unknown): boolean {
  if (typeof value === 'string') return storable(value)
  if (Array.isArray(value)) {
    for (const item of value) if (!allStorable(item)) return false
    return true
  }
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return true
  for (const key of Object.keys(value)) {
    if (!storable(key) || !allStorable((value as Record<string, unknown>)[key])) return false
  }
  return true
}

/** Why a parsed JSON document cannot be stored as it is, or undefined: also used for each line of a bulk ingest. */
export function unstorableText (document: unknown): string | undefined {
  // NOTE: the walk that names the place runs only when something is wrong; a bulk import checks every line.
  if (allStorable(document)) return undefined
  const where = findUnstorable(document, '')
  return where === undefined ? undefined : `${where} contains the NUL character (\\u0000) or an unpaired surrogate, which cannot be stored`
}

/** Refuses, on every route, text that a store cannot keep (see the note above). Register before the routes. */
export function registerInputGuard (app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => { checkRequest(req) })
}
