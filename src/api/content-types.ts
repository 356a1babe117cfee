import type { FastifyInstance } from 'fastify'

/**
 * Request media types. `application/json` is Fastify's own parser and the only one every route accepts.
 * Fastify's default `text/plain` parser is removed: it would hand a route a string where it expects a JSON
 * document, so a text body is a 415 like any other type the API does not speak. The other media types are
 * registered only in the route plugins that give them a meaning (Fastify scopes parsers per plugin), so a
 * JSON Patch sent to a POST, or NDJSON sent to a PATCH, is a 415 instead of a body the route misreads.
 */
export function registerContentTypes (app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain')
}

/** The PATCH media types: they parse as JSON and the PATCH route decides what they mean. */
export function registerPatchMediaTypes (app: FastifyInstance): void {
  const jsonParser = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser(['application/merge-patch+json', 'application/json-patch+json'], { parseAs: 'string' }, jsonParser)
}

/** NDJSON for bulk rate ingest, passed through as a stream. */
export function registerNdjson (app: FastifyInstance): void {
  app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => { done(null, payload) })
}
