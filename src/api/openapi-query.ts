import type { FastifySchema, RouteOptions } from 'fastify'

/**
 * Documents the TMF630 query parameters in the OpenAPI document. They are parsed by src/api/query (a route
 * querystring schema would reject repeated keys and operator forms), so they are added to the document only:
 * @fastify/swagger's `transform` shapes the documentation, not the validation.
 */
const fields = { type: 'string', description: 'Comma-separated first-level attributes to return (id and href are always returned); `none` returns only id and href' }
const paging = {
  offset: { type: 'integer', minimum: 0, description: 'Index of the first resource of the page (default 0)' },
  limit: { type: 'integer', minimum: 0, description: 'Page size; clamped to MAX_PAGE_SIZE, which is also the default' },
  sort: { type: 'string', description: 'Comma-separated attributes, `-` for descending: `sort=-billDate,billNo`' }
}
const filterNote = 'Attribute filters (TMF630): `attr=value`, `attr=a,b` (OR), `attr.gt|gte|lt|lte|eq|ne|regex=value` and `attr>=value` ' +
  'forms, dot notation into sub-objects and arrays (`billingAccount.id=…`, `taxItem.taxCategory=…`); several keys are AND-ed. ' +
  'Responses carry `X-Total-Count`, `X-Result-Count` and a `Link` header; 206 when paging left matches out. See docs/query-language.md.'

export function documentQueryParameters ({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }):
{ schema: FastifySchema; url: string } {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  const doc = schema as FastifySchema & { hide?: boolean; description?: string }
  if (!methods.includes('GET') || doc.hide === true || !url.startsWith('/tmf-api/')) return { schema, url }
  const isList = !url.includes(':') && !url.includes('{')
  const querystring = { type: 'object', properties: isList ? { fields, ...paging } : { fields } }
  const description = isList ? [doc.description, filterNote].filter(Boolean).join('\n\n') : doc.description
  return { schema: { ...schema, querystring, ...(description !== undefined ? { description } : {}) }, url }
}
