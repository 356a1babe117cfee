/**
 * Every failure the domain can report. Only `src/api/errors.ts` knows how a code maps to an HTTP status;
 * the catalogue with the status and meaning of each code is `docs/errors.md`.
 */
export const ErrorCodes = {
  INVALID_QUERY: 'INVALID_QUERY',
  INVALID_BODY: 'INVALID_BODY',
  INVALID_FIELD: 'INVALID_FIELD',
  INVALID_MONEY: 'INVALID_MONEY',
  INVALID_CALLBACK: 'INVALID_CALLBACK',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  INVALID_STATE_TRANSITION: 'INVALID_STATE_TRANSITION',
  CONFLICT: 'CONFLICT',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  NOTHING_TO_BILL: 'NOTHING_TO_BILL',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  INTERNAL: 'INTERNAL'
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

export class DomainError extends Error {
  readonly code: ErrorCode
  readonly reason: string

  constructor (code: ErrorCode, reason: string, message?: string) {
    super(message ?? reason)
    this.name = 'DomainError'
    this.code = code
    this.reason = reason
  }
}

export function isDomainError (err: unknown): err is DomainError {
  return err instanceof DomainError
}
