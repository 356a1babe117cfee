import { FormatRegistry, Kind, Type, TypeRegistry, type SchemaOptions, type TNever, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { GetErrorFunction, SetErrorFunction, ValueErrorType } from '@sinclair/typebox/errors'

/**
 * Small building blocks shared by every TMF678 schema, and the TypeBox registrations those schemas need.
 *
 * Fastify validates with Ajv (ajv-formats included); TypeBox's own checker (`Value.Check`, `TypeCompiler`,
 * the TypeBox validator compiler) only knows formats and kinds that are registered, so importing this module
 * registers them once. Existing registrations win, so an application can install stricter ones first.
 */

/**
 * The Ajv options these schemas are written for; pass them as Fastify's `ajv.customOptions`.
 * - `coerceTypes: false`: with Fastify's default ('array') Ajv turns the decimal string `"12.50"` into the float
 *   12.5, accepts `"1e5"` as 100000 and `null` as 0 for a Money value, which defeats the decimal-string input.
 * - `removeAdditional: false`: with Fastify's default (true) Ajv silently strips the properties a strict schema
 *   forbids (e.g. `amountDue` in a PATCH) instead of answering 400, so the client never learns it was ignored.
 * The TMF630 query string is parsed by tmfbill's own query parser, so no querystring schema needs coercion.
 */
export const AJV_CUSTOM_OPTIONS = Object.freeze({ coerceTypes: false, removeAdditional: false } as const)

const STRING_ENUM_KIND = 'StringEnum'

// RFC 3339 date-time with a mandatory offset, as ajv-formats checks it ('t' or a space may separate the parts).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/
// An absolute URI: a scheme, then no whitespace (ajv-formats' `uri` also insists on the scheme).
const URI = /^[a-z][a-z0-9+.-]*:[^\s]*$/i

function isDateTime (value: string): boolean {
  const m = DATE_TIME.exec(value)
  if (m === null) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59)
  // NOTE: second 60 is a leap second, which RFC 3339 allows.
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60 && offsetOk
}

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime)
if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (value) => URI.test(value))
if (!TypeRegistry.Has(STRING_ENUM_KIND)) {
  TypeRegistry.Set<{ enum: readonly string[] }>(STRING_ENUM_KIND, (schema, value) =>
    typeof value === 'string' && schema.enum.includes(value))
}

// TypeBox's own messages for these two would read "Expected kind 'StringEnum'" and "Never"; bulk imports
// report TypeBox errors to users, so they get the same meaning Ajv gives. Other messages are left as they were.
const previousErrorFunction = GetErrorFunction()
SetErrorFunction((error) => {
  if (error.schema[Kind] === STRING_ENUM_KIND) return `Expected one of: ${(error.schema.enum as string[]).join(', ')}`
  if (error.errorType === ValueErrorType.Never && error.schema.readOnly === true) return 'Is set by the server and must not be sent'
  return previousErrorFunction(error)
})

/**
 * An attribute the server owns, on a request schema: present only so that sending it is refused by name
 * ("body/isBilled must NOT be valid") rather than by a generic additional-property error. `readOnly` tells
 * OpenAPI readers the same thing.
 */
export function serverOwned (description: string): TNever {
  return Type.Never({ readOnly: true, description: `Set by the server; refused if sent. ${description}` })
}

/**
 * A string enumeration emitted as `{ type: 'string', enum: [...] }` rather than TypeBox's `anyOf` of literals:
 * fast-json-stringify writes it as a plain string (no branch matching per value), and Ajv rejects a bad value
 * with one message, "must be equal to one of the allowed values", instead of one "must be equal to constant"
 * per value.
 */
export function stringEnum<const T extends readonly string[]> (values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, [Kind]: STRING_ENUM_KIND, type: 'string', enum: [...values] })
}

/** The same schema with another description, for a spec property that describes the definition it uses. */
export function withDescription<T extends TSchema> (schema: T, description: string): T {
  return { ...schema, description }
}

/**
 * A deep copy of a response schema with every `required` list removed. The TMF `fields` parameter returns any
 * subset of attributes, and fast-json-stringify throws on a missing required property, so a response schema
 * must never require anything. The static type is left as written: it describes what the server builds, while
 * the schema describes what may go over the wire.
 */
export function withoutRequired<T extends TSchema> (schema: T): T {
  const copy: Record<string | symbol, unknown> = { ...(schema as Record<string | symbol, unknown>) }
  delete copy.required
  const properties = schema.properties as Record<string, TSchema> | undefined
  if (properties !== undefined) {
    copy.properties = Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, withoutRequired(sub)]))
  }
  const items = schema.items as TSchema | undefined
  if (items !== undefined && !Array.isArray(items)) copy.items = withoutRequired(items)
  const anyOf = schema.anyOf as TSchema[] | undefined
  if (anyOf !== undefined) copy.anyOf = anyOf.map((branch) => withoutRequired(branch))
  return copy as T
}
