import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** The body exactly as received. */
  body: string
  /** When it arrived, by the clock the test passes (a FakeClock in the retry tests). */
  at: number
}

export interface Listener {
  url: string
  received: Received[]
  /** Status to answer for the n-th request (0-based); 204 unless changed. */
  respond: (n: number, req: Received) => number | Promise<number>
  /** Resolves when `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>
  close(): Promise<void>
}

/** A real HTTP receiver on 127.0.0.1 and a free port, recording every request. */
export async function startListener (now: () => number = Date.now): Promise<Listener> {
  const waiters: { count: number; resolve: () => void }[] = []
  const listener: Listener = {
    url: '',
    received: [],
    respond: () => 204,
    waitFor: (count, timeoutMs = 5000) => new Promise((resolve, reject) => {
      if (listener.received.length >= count) return resolve(listener.received)
      const timer = setTimeout(() => reject(new Error(`expected ${count} requests, got ${listener.received.length}`)), timeoutMs)
      waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(listener.received) } })
    }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: now()
      }
      const status = listener.respond(listener.received.length, received)
      listener.received.push(received)
      for (const w of waiters.filter((w) => listener.received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
      void Promise.resolve(status).then((code) => {
        if (!res.destroyed) res.writeHead(code).end(code >= 400 ? 'listener says no' : undefined)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  listener.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return listener
}
