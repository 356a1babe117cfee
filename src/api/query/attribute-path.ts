import { DomainError, ErrorCodes } from '../../domain/errors.ts'

/** One attribute name: TMF names are camelCase; `@type`, `@baseType`, `@referredType` start with `@`. */
const SEGMENT = /^[A-Za-z@][A-Za-z0-9_@]*$/

/** The error for any bad query: the reason names the offending parameter, the message says what is wrong. */
export function invalidParameter (parameter: string, detail: string): DomainError {
  return new DomainError(ErrorCodes.INVALID_QUERY, `Invalid query parameter '${parameter}'`, detail)
}

/** Splits `a.b.c` into segments; every segment must be a valid attribute name. */
export function parseAttributePath (text: string, parameter: string): string[] {
  if (text === '') throw invalidParameter(parameter, 'The attribute name is empty')
  const path = text.split('.')
  for (const segment of path) {
    if (!SEGMENT.test(segment)) {
      throw invalidParameter(parameter, `'${text}' is not a valid attribute name (dot-separated names such as amountDue.value)`)
    }
  }
  return path
}

/** Returns the only value of a parameter that must not be repeated. */
export function singleValue (raw: string | string[] | undefined, parameter: string): string | undefined {
  if (Array.isArray(raw)) {
    if (raw.length > 1) throw invalidParameter(parameter, `'${parameter}' is given more than once`)
    return raw[0]
  }
  return raw
}

export function asList (raw: string | string[] | undefined): string[] {
  if (raw === undefined) return []
  return Array.isArray(raw) ? raw : [raw]
}
