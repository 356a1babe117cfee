import type { FastifyInstance } from 'fastify'

/**
 * JSON bodies under the media types TMF uses. `application/json` is Fastify's own parser; the merge-patch
 * and JSON-patch types parse the same way and the PATCH route decides what they mean. NDJSON is passed
 * through as a stream for bulk rate ingest. Anything else is a 415.
 */
export function registerContentTypes (app: FastifyInstance): void {
  const jsonParser = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser(['application/merge-patch+json', 'application/json-patch+json'], { parseAs: 'string' }, jsonParser)
  app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => { done(null, payload) })
}
