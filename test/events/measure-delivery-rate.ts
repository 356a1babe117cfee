/**
 * Delivery rate to a local listener: `node --import tsx test/events/measure-delivery-rate.ts [events] [subscriptions] [store-url]`.
 * Commits the events first, then times the dispatcher from start until the listener has every delivery and
 * the store records them all as delivered. The listener runs in a child process so it does not share the
 * dispatcher's event loop. Not a test (no .test.ts): docs/events.md quotes its output.
 */
import { fork } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../src/domain/clock.ts'
import { enqueueEvent } from '../../src/events/outbox.ts'
import { listDeliveries } from '../../src/events/operations.ts'
import { openStore } from '../../src/store/database.ts'
import { bill, dispatch, subscribe } from './support.ts'

if (process.argv[2] === '--listener') {
  const { createServer } = await import('node:http')
  let count = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { count++; res.writeHead(204).end(); if (count % 1000 === 0) process.send?.({ count }) })
  })
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }))
  process.on('message', (m: { report?: boolean }) => { if (m.report === true) process.send?.({ total: count }) })
} else {
  const events = Number(process.argv[2] ?? 5000)
  const subscriptions = Number(process.argv[3] ?? 1)
  const url = process.argv[4] ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tmfbill-rate-')), 'rate.db')}`
  const child = fork(new URL(import.meta.url).pathname, ['--listener'], { execArgv: ['--import', 'tsx'] })
  const port = await new Promise<number>((resolve) => child.on('message', (m: { port?: number }) => { if (m.port) resolve(m.port) }))
  const store = await openStore(url)
  for (let s = 0; s < subscriptions; s++) await subscribe(store, systemClock, { callback: `http://127.0.0.1:${port}/s${s}` })
  for (let i = 0; i < events; i++) {
    await store.transaction((trx) => enqueueEvent(trx, 'CustomerBillCreateEvent', bill(`b-${i}`, 'new'), new Date()))
  }
  const started = performance.now()
  const dispatcher = dispatch(store, systemClock, { pollMs: 10, concurrency: 8 })
  const expected = events * subscriptions
  for (;;) {
    await dispatcher.drain()
    const delivered = (await listDeliveries(store, { status: 'delivered' })).length
    if (delivered >= expected) break
  }
  const seconds = (performance.now() - started) / 1000
  await dispatcher.stop()
  child.send({ report: true })
  const received = await new Promise<number>((resolve) => child.on('message', (m: { total?: number }) => { if (m.total !== undefined) resolve(m.total) }))
  child.kill()
  await store.close()
  console.log(JSON.stringify({ store: url.split(':')[0], events, subscriptions, deliveries: expected, received,
    seconds: Number(seconds.toFixed(2)), deliveriesPerSecond: Math.round(expected / seconds) }))
}
