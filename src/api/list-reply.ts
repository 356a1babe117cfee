import type { FastifyReply, FastifyRequest } from 'fastify'

export interface Page<T> {
  items: T[]
  total: number
  offset: number
  limit: number
}

/**
 * Sends a list the TMF630 way: `X-Total-Count` (all matches) and `X-Result-Count` (this page), 206 only when
 * paging left matches out, and an RFC 8288 `Link` header with self/first/prev/next/last.
 */
export function sendPage<T> (req: FastifyRequest, reply: FastifyReply, page: Page<T>, publicUrl: string): FastifyReply {
  const { items, total, offset, limit } = page
  void reply.header('X-Total-Count', String(total)).header('X-Result-Count', String(items.length))
  const partial = items.length < total && !(offset === 0 && items.length === total)
  const url = new URL(req.url, publicUrl)
  const link = (o: number, rel: string) => {
    url.searchParams.set('offset', String(o))
    url.searchParams.set('limit', String(limit))
    return `<${publicUrl}${url.pathname}${url.search}>; rel="${rel}"`
  }
  const links = [link(offset, 'self'), link(0, 'first')]
  if (offset > 0) links.push(link(Math.max(0, offset - limit), 'prev'))
  if (offset + items.length < total) links.push(link(offset + limit, 'next'))
  if (total > 0) links.push(link(Math.max(0, Math.floor((total - 1) / limit) * limit), 'last'))
  void reply.header('Link', links.join(', '))
  return reply.code(partial ? 206 : 200).send(items)
}
