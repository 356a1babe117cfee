import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { percentile } from './stats.ts'

export interface EventFigures {
  subscriptions: number
  events: number
  deliveries: number
  /** From the first state change sent to the last delivery received. */
  seconds: number
  deliveriesPerSecond: number
  /** Per delivery: from the PATCH that caused the event being answered to the listener receiving it. */
  p50Ms: number
  p99Ms: number
}

interface Arrival { billId: string; at: number }

/** A local listener that answers 204 and remembers when each (subscription, event) first arrived. */
export class EventListener {
  private server: Server | undefined
  private readonly arrivals = new Map<string, Arrival>()
  private waiters: { count: number; resolve: () => void }[] = []
  url = ''

  async start (): Promise<void> {
    this.server = createServer((req, res) => {
      const eventId = String(req.headers['x-event-id'] ?? '')
      const path = req.url ?? '/'
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const at = performance.now()
        res.writeHead(204).end()
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { eventType?: string; event?: { customerBill?: { id?: string } } }
        if (event.eventType !== 'CustomerBillStateChangeEvent') return
        const key = `${path} ${eventId}`
        if (!this.arrivals.has(key)) this.arrivals.set(key, { billId: event.event?.customerBill?.id ?? '', at })
        this.waiters = this.waiters.filter((w) => {
          if (this.arrivals.size < w.count) return true
          w.resolve()
          return false
        })
      })
    })
    this.server.keepAliveTimeout = 60_000
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  get received (): number {
    return this.arrivals.size
  }

  deliveries (): Arrival[] {
    return [...this.arrivals.values()]
  }

  waitFor (count: number, timeoutMs: number): Promise<boolean> {
    if (this.arrivals.size >= count) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(true) } })
    })
  }

  reset (): void {
    this.arrivals.clear()
  }

  async stop (): Promise<void> {
    const server = this.server
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** Registers `count` hub subscriptions, each with its own callback path on the listener. */
export async function subscribe (api: string, listener: EventListener, count: number, first = 0): Promise<string[]> {
  const ids: string[] = []
  for (let i = first; i < first + count; i++) {
    const res = await fetch(`${api}/hub`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callback: `${listener.url}/subscriber-${i}`, query: 'eventType=CustomerBillStateChangeEvent' })
    })
    const body = await res.json() as { id?: string }
    if (res.status !== 201 || body.id === undefined) throw new Error(`POST /hub answered ${res.status}: ${JSON.stringify(body)}`)
    ids.push(body.id)
  }
  return ids
}

/**
 * Moves each bill to `state` by PATCH (8 requests at a time), which records one CustomerBillStateChangeEvent
 * per bill, and waits until the listener holds every delivery: bills × subscriptions.
 */
export async function measureDeliveries (api: string, listener: EventListener, billIds: string[], state: string,
  subscriptions: number): Promise<EventFigures> {
  listener.reset()
  const expected = billIds.length * subscriptions
  const committedAt = new Map<string, number>()
  const started = performance.now()
  let next = 0
  const worker = async () => {
    while (next < billIds.length) {
      const id = billIds[next++] ?? ''
      const res = await fetch(`${api}/customerBill/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ state })
      })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`PATCH customerBill/${id} answered ${res.status}: ${text.slice(0, 300)}`)
      committedAt.set(id, performance.now())
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  if (!await listener.waitFor(expected, 600_000)) {
    throw new Error(`only ${listener.received} of ${expected} deliveries arrived within 10 minutes`)
  }
  const deliveries = listener.deliveries()
  const seconds = (Math.max(...deliveries.map((d) => d.at)) - started) / 1000
  // A delivery can arrive before the PATCH's answer reaches us (the event commits first): count that as 0.
  const lags = deliveries.map((d) => Math.max(0, d.at - (committedAt.get(d.billId) ?? d.at)))
  return {
    subscriptions,
    events: billIds.length,
    deliveries: expected,
    seconds,
    deliveriesPerSecond: expected / seconds,
    p50Ms: percentile(lags, 50),
    p99Ms: percentile(lags, 99)
  }
}
