import jsonpatch from 'fast-json-patch'
import { DomainError, ErrorCodes } from '../domain/errors.ts'

/**
 * RFC 7396 merge patch. Only first-level attributes are patchable in TMF678 (`state` and the @-attributes), so
 * the patch document itself is the change; it must be an object, and a `null` (delete) is refused because no
 * patchable attribute can be removed.
 */
export function applyMergePatch (patch: unknown): Record<string, unknown> {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new DomainError(ErrorCodes.INVALID_BODY, 'Invalid merge patch', 'A merge patch must be a JSON object, e.g. {"state": "onHold"}')
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) throw new DomainError(ErrorCodes.INVALID_FIELD, 'Attribute cannot be removed', `Attribute '${key}' cannot be removed`)
  }
  return patch as Record<string, unknown>
}

/**
 * RFC 6902 JSON Patch, applied to the current representation. The result is turned back into the set of
 * first-level attributes it changed, which then goes through the same validation as a merge patch: so
 * `{"op":"replace","path":"/state","value":"onHold"}` works and a patch touching `amountDue` is a 400.
 */
export function applyJsonPatch (current: Record<string, unknown>, ops: unknown): Record<string, unknown> {
  if (!Array.isArray(ops)) {
    throw new DomainError(ErrorCodes.INVALID_BODY, 'Invalid JSON Patch', 'A JSON Patch document must be an array of operations')
  }
  const error = validateJsonPatch(ops as jsonpatch.Operation[], current)
  if (error) throw new DomainError(ErrorCodes.INVALID_BODY, 'Invalid JSON Patch', error)
  let next: Record<string, unknown>
  try {
    next = jsonpatch.applyPatch(structuredClone(current), ops as jsonpatch.Operation[], true, false).newDocument
  } catch (err) {
    throw new DomainError(ErrorCodes.INVALID_BODY, 'JSON Patch failed', (err as Error).message.split('\n')[0] ?? 'patch failed')
  }
  const changed: Record<string, unknown> = {}
  for (const key of new Set([...Object.keys(current), ...Object.keys(next)])) {
    if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) changed[key] = next[key] === undefined ? null : next[key]
  }
  return applyMergePatch(changed)
}

/**
 * The first problem of a JSON Patch, or undefined. fast-json-patch reports most problems as a returned error
 * but throws a plain TypeError for a path through `__proto__` or `constructor/prototype`: both are the
 * client's mistake.
 */
function validateJsonPatch (ops: jsonpatch.Operation[], current: Record<string, unknown>): string | undefined {
  try {
    const error = jsonpatch.validate(ops, current)
    return error ? `${error.name}: ${error.message.split('\n')[0] ?? ''}` : undefined
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'invalid patch'
  }
}
