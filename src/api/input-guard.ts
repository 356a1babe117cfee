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

/** The first unstorable key or string of a parsed JSON body: the steps to it (built only once one is found). */
interface Unstorable { steps: (string | number)[]; inKey: boolean }

function findUnstorable (value: unknown): Unstorable | undefined {
  if (typeof value === 'string') return storable(value) ? undefined : { steps: [], inKey: false }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i])
      if (found !== undefined) { found.steps.unshift(i); return found }
    }
    return undefined
  }
  // Only JSON objects are walked: a streamed NDJSON body is an object too, and its lines are checked one by one.
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return undefined
  for (const key of Object.keys(value)) {
    if (!storable(key)) return { steps: [], inKey: true }
    const found = findUnstorable((value as Record<string, unknown>)[key])
    if (found !== undefined) { found.steps.unshift(key); return found }
  }
  return undefined
}

/** `a.b[2]` from its steps. */
function pathOf (steps: (string | number)[]): string {
  let path = ''
  for (const step of steps) path += typeof step === 'number' ? `[${step}]` : path === '' ? step : `.${step}`
  return path
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

/** Why a parsed JSON document cannot be stored as it is, or undefined: also used for each line of a bulk ingest. */
export function unstorableText (document: unknown): string | undefined {
  // NOTE: the path is built only for a document that fails; a bulk import checks every line.
  const found = findUnstorable(document)
  if (found === undefined) return undefined
  const path = pathOf(found.steps)
  const where = found.inKey
    ? (path === '' ? 'An attribute name' : `An attribute name in '${path}'`)
    : (path === '' ? 'The body' : `Attribute '${path}'`)
  return `${where} contains the NUL character (\\u0000) or an unpaired surrogate, which cannot be stored`
}

/** Refuses, on every route, text that a store cannot keep (see the note above). Register before the routes. */
export function registerInputGuard (app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => { checkRequest(req) })
}
