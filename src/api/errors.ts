import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type ErrorCode, ErrorCodes, isDomainError } from '../domain/errors.ts'

/** The one place where domain error codes become HTTP statuses (catalogue: docs/errors.md). */
export const httpStatusOf: Record<ErrorCode, number> = {
  INVALID_QUERY: 400,
  INVALID_BODY: 400,
  INVALID_FIELD: 400,
  INVALID_MONEY: 400,
  INVALID_CALLBACK: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_STATE_TRANSITION: 409,
  CONFLICT: 409,
  CURRENCY_MISMATCH: 400,
  NOTHING_TO_BILL: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MALFORMED_REQUEST: 400,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500
}

export interface TmfErrorBody {
  code: string
  reason: string
  message: string
  status: string
  '@type': 'Error'
}

export function tmfError (code: ErrorCode, reason: string, message: string): TmfErrorBody {
  return { code, reason, message, status: String(httpStatusOf[code]), '@type': 'Error' }
}

export function sendError (reply: FastifyReply, code: ErrorCode, reason: string, message: string): FastifyReply {
  return reply.code(httpStatusOf[code]).type('application/json; charset=utf-8').send(tmfError(code, reason, message))
}

/** Fastify's own errors (parsing, validation, limits) mapped to TMF errors; anything unexpected is a bare 500. */
function fromFastifyError (err: FastifyError, req: FastifyRequest): [ErrorCode, string, string] {
  if (err.validation) {
    const where = err.validationContext === 'querystring' ? 'query' : err.validationContext ?? 'body'
    const first = err.validation[0]
    const path = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : ''
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty
    const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty
    const subject = extra ? `Attribute '${extra}' is not allowed` : missing ? `Attribute '${missing}' is required`
      : `${path ? `'${path}'` : where} ${first?.message ?? 'is invalid'}`
    return [where === 'query' ? ErrorCodes.INVALID_QUERY : ErrorCodes.INVALID_BODY, `Invalid ${where}`, subject]
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [ErrorCodes.PAYLOAD_TOO_LARGE, 'Request body too large', err.message]
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [ErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'Unsupported media type',
        `Content-Type '${req.headers['content-type'] ?? ''}' is not supported here`]
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [ErrorCodes.INVALID_BODY, 'Missing body', 'The request needs a JSON body']
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return [ErrorCodes.INVALID_BODY, 'Malformed JSON', err.message]
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return [ErrorCodes.INVALID_BODY, 'Invalid Content-Length', err.message]
  }
  if (err instanceof SyntaxError) return [ErrorCodes.INVALID_BODY, 'Malformed JSON', err.message]
  if (err.statusCode === 413) return [ErrorCodes.PAYLOAD_TOO_LARGE, 'Request body too large', err.message]
  if (err.statusCode === 415) return [ErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'Unsupported media type', err.message]
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return [ErrorCodes.INVALID_BODY, 'Bad request', err.message]
  }
  return [ErrorCodes.INTERNAL, 'Internal error', 'The server could not complete the request; it has been logged']
}

export function registerErrorHandlers (app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isDomainError(err)) return sendError(reply, err.code, err.reason, err.message)
    const [code, reason, message] = fromFastifyError(err, req)
    if (code === ErrorCodes.INTERNAL) req.log.error({ err }, 'unhandled error')
    return sendError(reply, code, reason, message)
  })
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, ErrorCodes.NOT_FOUND, 'Resource not found', `No resource at ${req.method} ${req.url.split('?')[0]}`))
}

/**
 * Fastify's router errors (its `frameworkErrors` option), which otherwise answer with Fastify's own body: a
 * path with broken percent-encoding, or a path segment longer than any id, cannot name a resource, so both
 * are the same 404 as any unknown path.
 */
export function handleFrameworkError (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(reply, ErrorCodes.NOT_FOUND, 'Resource not found', `No resource at ${req.method} ${req.url.split('?')[0] ?? ''}`)
  }
  req.log.error({ err }, 'router error')
  return sendError(reply, ErrorCodes.INTERNAL, 'Internal error', 'The server could not complete the request; it has been logged')
}

/** Answers 405 with an `Allow` header for the methods a known path does not support. */
export function registerMethodNotAllowed (app: FastifyInstance, url: string, allowed: string[]): void {
  const all = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE']
  const others = all.filter((m) => !allowed.includes(m) && !(m === 'HEAD' && allowed.includes('GET')))
  if (others.length === 0) return
  app.route({
    method: others,
    url,
    schema: { hide: true },
    handler: (req, reply) => {
      void reply.header('Allow', allowed.join(', '))
      return sendError(reply, ErrorCodes.METHOD_NOT_ALLOWED, 'Method not allowed',
        `${req.method} is not supported on ${url}; allowed: ${allowed.join(', ')}`)
    }
  })
}

/**
 * Requests that break HTTP itself (garbage on the socket, a request line or headers over Node's 16 KiB limit)
 * never reach Fastify's routing: Node hands them to this handler, which still answers with a TMF Error body.
 */
export function handleClientError (err: Error & { code?: string }, socket: import('node:stream').Duplex): void {
  if (!socket.writable) return
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW'
  const body = JSON.stringify(tooLarge
    ? tmfError(ErrorCodes.HEADERS_TOO_LARGE, 'Request headers too large', 'The request line and headers must not exceed 16 KiB')
    : tmfError(ErrorCodes.MALFORMED_REQUEST, 'Malformed HTTP request', 'The request is not valid HTTP/1.1'))
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
