import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { FakeClock, systemClock } from '../../src/domain/clock.ts'
import type { EventDispatcher } from '../../src/events/dispatcher.ts'
import { fanOutEvents } from '../../src/events/fan-out.ts'
import { unregisterSubscription } from '../../src/events/hub.ts'
import { enqueueEvent } from '../../src/events/outbox.ts'
import { listDeliveries, retryDeliveries } from '../../src/events/operations.ts'
import { openStore } from '../../src/store/database.ts'
import { claimDeliveries } from '../../src/store/deliveries.ts'
import { openTestStore, storeKinds } from '../helpers/stores.ts'
import { type Listener, startListener } from './listener.ts'
import { bill, commitEvent, dispatch, loadDocumentedVerifier, onDemand, subscribe } from './support.ts'

const T0 = '2025-03-01T00:00:00.000Z'

for (const kind of await storeKinds()) {
  describe(`event delivery to a real listener (${kind})`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>
    let clock: FakeClock
    let listener: Listener
    let dispatcher: EventDispatcher | undefined

    beforeEach(async () => {
      store = await openTestStore(kind)
      clock = new FakeClock(T0)
      listener = await startListener(() => clock.now().getTime())
      dispatcher = undefined
    })
    afterEach(async () => {
      await dispatcher?.stop()
      await listener.close()
      await store.dispose()
    })

    it('delivers each of the four event types with the TMF envelope, its payload key and the identifying headers', async () => {
      await subscribe(store, clock, { callback: `${listener.url}/hook` })
      const sent = [
        await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new')),
        await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'sent')),
        await commitEvent(store, 'CustomerBillOnDemandCreateEvent', onDemand('od-1', 'inProgress')),
        await commitEvent(store, 'CustomerBillOnDemandStateChangeEvent', onDemand('od-1', 'done'))
      ]
      dispatcher = dispatch(store, clock)
      const got = await listener.waitFor(4)

      assert.deepEqual(got.map((r) => JSON.parse(r.body)), sent.map((e) => JSON.parse(JSON.stringify(e))))
      assert.deepEqual(got.map((r) => Object.keys(JSON.parse(r.body).event)),
        [['customerBill'], ['customerBill'], ['customerBillOnDemand'], ['customerBillOnDemand']])
      assert.equal(JSON.parse(got[1]?.body ?? '').event.customerBill.state, 'sent')
      for (const [i, r] of got.entries()) {
        assert.equal(r.method, 'POST')
        assert.equal(r.path, '/hook')
        assert.equal(r.headers['content-type'], 'application/json')
        assert.equal(r.headers['x-event-id'], sent[i]?.eventId)
        assert.equal(r.headers['x-event-type'], sent[i]?.eventType)
        assert.equal(r.headers['x-delivery-attempt'], '1')
        assert.match(String(r.headers['x-delivery-id']), /^[0-9a-f-]{36}$/)
        assert.equal(r.headers['x-tmfbill-signature'], undefined, 'no secret, no signature')
      }
      await dispatcher.drain()
      const deliveries = await listDeliveries(store, {})
      assert.deepEqual(deliveries.map((d) => d.status), ['delivered', 'delivered', 'delivered', 'delivered'])
      assert.deepEqual(deliveries.map((d) => d.id), got.map((r) => r.headers['x-delivery-id']))
    })

    it('posts to {callback}/listener/{eventName} when the target is "listener"', async () => {
      await subscribe(store, clock, { callback: `${listener.url}/tmf/` })
      await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'sent'))
      await commitEvent(store, 'CustomerBillOnDemandCreateEvent', onDemand('od-1', 'inProgress'))
      dispatcher = dispatch(store, clock, { target: 'listener' })
      const got = await listener.waitFor(2)
      assert.deepEqual(got.map((r) => r.path),
        ['/tmf/listener/customerBillStateChangeEvent', '/tmf/listener/customerBillOnDemandCreateEvent'])
    })

    it('sends a subscription only the events its query selects', async () => {
      await subscribe(store, clock, {
        callback: `${listener.url}/settled`, query: 'eventType=CustomerBillStateChangeEvent&event.customerBill.state=settled'
      })
      await subscribe(store, clock, { callback: `${listener.url}/all` })
      await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'settled'))
      await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'sent'))
      const settled = await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-2', 'settled'))
      await commitEvent(store, 'CustomerBillOnDemandStateChangeEvent', onDemand('od-1', 'done'))
      dispatcher = dispatch(store, clock)
      await listener.waitFor(5)
      await dispatcher.drain()

      const toSettled = listener.received.filter((r) => r.path === '/settled')
      assert.deepEqual(toSettled.map((r) => r.headers['x-event-id']), [settled.eventId])
      assert.equal(listener.received.filter((r) => r.path === '/all').length, 4)
    })

    it('signs for a subscription with a secret, and the documented snippet verifies it', async () => {
      const verify = await loadDocumentedVerifier()
      const secret = 'listener-secret-0123456789'
      clock.set(new Date()) // the snippet checks the timestamp against the real time
      await subscribe(store, clock, { callback: listener.url, secret })
      await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new'))
      dispatcher = dispatch(store, clock)
      const [r] = await listener.waitFor(1)
      assert.ok(r)

      assert.match(String(r.headers['x-tmfbill-signature']), /^sha256=[0-9a-f]{64}$/)
      assert.equal(r.headers['x-tmfbill-timestamp'], String(Math.floor(clock.now().getTime() / 1000)))
      assert.equal(verify(secret, r.body, r.headers), true)
      assert.equal(verify(secret, Buffer.from(r.body), r.headers), true, 'a Buffer body verifies too')
      assert.equal(verify('another-secret-0123456789', r.body, r.headers), false)
      assert.equal(verify(secret, r.body.replace('"new"', '"settled"'), r.headers), false, 'a changed body fails')
      assert.equal(verify(secret, r.body, r.headers, 300, Date.now() / 1000 + 3600), false, 'an hour-old request is a replay')
      assert.equal(verify(secret, r.body, { ...r.headers, 'x-tmfbill-timestamp': String(Math.floor(Date.now() / 1000) + 1) }), false)
    })

    it('retries a failing listener with growing gaps, then delivers the same event once it recovers', async () => {
      listener.respond = (n) => [500, 503][n] ?? 204
      const sub = await subscribe(store, clock, { callback: listener.url })
      const event = await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new'))
      dispatcher = dispatch(store, clock)
      await listener.waitFor(1)
      await dispatcher.drain()

      let [d] = await listDeliveries(store, { subscriptionId: sub.id })
      assert.equal(d?.status, 'pending')
      assert.equal(d?.attempts, 1)
      assert.equal(d?.lastStatus, 500)
      const firstDue = Date.parse(d?.nextAttemptAt ?? '')
      clock.set(new Date(firstDue - 1))
      await dispatcher.drain()
      assert.equal(listener.received.length, 1, 'nothing is sent before the retry is due')
      clock.set(new Date(firstDue))
      await dispatcher.drain()
      await listener.waitFor(2)

      ;[d] = await listDeliveries(store, { subscriptionId: sub.id })
      assert.equal(d?.attempts, 2)
      assert.equal(d?.lastStatus, 503)
      clock.set(new Date(d?.nextAttemptAt ?? ''))
      await dispatcher.drain()
      const got = await listener.waitFor(3)

      const gaps = [got[1]!.at - got[0]!.at, got[2]!.at - got[1]!.at]
      assert.ok(gaps[0]! >= 5_000 && gaps[0]! <= 10_000, `first gap ${gaps[0]} ms is within [base/2, base]`)
      assert.ok(gaps[1]! >= 10_000 && gaps[1]! <= 20_000, `second gap ${gaps[1]} ms is within [base, 2 base]`)
      assert.ok(gaps[1]! >= gaps[0]!, 'gaps grow')
      assert.deepEqual(got.map((r) => r.headers['x-delivery-attempt']), ['1', '2', '3'])
      assert.deepEqual(new Set(got.map((r) => r.body)), new Set([JSON.stringify(event)]), 'every attempt sends the same bytes')
      assert.deepEqual(new Set(got.map((r) => r.headers['x-event-id'])), new Set([event.eventId]))
      ;[d] = await listDeliveries(store, { subscriptionId: sub.id })
      assert.equal(d?.status, 'delivered')
      assert.equal(d?.attempts, 3)
      assert.equal(d?.deliveredAt, clock.now().toISOString())
    })

    it('marks a delivery dead after the last attempt, and an operator retry sends it again', async () => {
      listener.respond = () => 500
      const sub = await subscribe(store, clock, { callback: listener.url })
      await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new'))
      dispatcher = dispatch(store, clock, { maxAttempts: 3 })
      for (let attempt = 1; attempt <= 3; attempt++) {
        await listener.waitFor(attempt)
        await dispatcher.drain()
        const [d] = await listDeliveries(store, { subscriptionId: sub.id })
        if (d?.nextAttemptAt) clock.set(new Date(d.nextAttemptAt))
      }
      clock.advance(24 * 3600_000)
      await dispatcher.drain()
      assert.equal(listener.received.length, 3, 'no attempt after the last one')

      const dead = await listDeliveries(store, { status: 'dead' })
      assert.equal(dead.length, 1)
      assert.equal(dead[0]?.attempts, 3)
      assert.equal(dead[0]?.lastStatus, 500)
      assert.match(dead[0]?.lastError ?? '', /HTTP 500/)
      assert.deepEqual((await listDeliveries(store, { status: 'failed' })).map((d) => d.id), [dead[0]?.id])

      listener.respond = () => 200
      assert.deepEqual(await retryDeliveries(store, 'allDead', { now: clock.now() }), [dead[0]?.id])
      dispatcher.wake()
      await listener.waitFor(4)
      await dispatcher.drain()
      const [d] = await listDeliveries(store, { subscriptionId: sub.id })
      assert.equal(d?.status, 'delivered')
      assert.equal(listener.received[3]?.headers['x-delivery-attempt'], '1', 'a retried delivery starts a fresh schedule')
    })

    it('sends nothing more to a subscription after it is deleted, not even its pending retries', async () => {
      const sub = await subscribe(store, clock, { callback: listener.url })
      await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new'))
      dispatcher = dispatch(store, clock)
      await listener.waitFor(1)
      listener.respond = () => 503
      await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'sent'))
      dispatcher.wake()
      await listener.waitFor(2)
      await dispatcher.drain()

      await unregisterSubscription(sub.id, { store, clock })
      listener.respond = () => 204
      await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'settled'))
      clock.advance(3600_000)
      await dispatcher.drain()
      await new Promise((resolve) => setTimeout(resolve, 100))
      await dispatcher.drain()

      assert.equal(listener.received.length, 2)
      assert.deepEqual((await listDeliveries(store, {})).map((d) => d.status), ['delivered', 'cancelled'])
    })

    it('never sends an event whose transaction rolled back', async () => {
      await subscribe(store, clock, { callback: listener.url })
      await assert.rejects(store.transaction(async (trx) => {
        await enqueueEvent(trx, 'CustomerBillStateChangeEvent', bill('b-rolled-back', 'settled'), clock.now())
        throw new Error('the change failed after its event was written')
      }), /the change failed/)
      const committed = await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-committed', 'settled'))
      dispatcher = dispatch(store, clock)
      await listener.waitFor(1)
      await dispatcher.drain()
      await new Promise((resolve) => setTimeout(resolve, 50))
      await dispatcher.drain()
      assert.deepEqual(listener.received.map((r) => r.headers['x-event-id']), [committed.eventId])
    })

    it('sends a subscription its events in enqueue order, while serving several subscriptions at once', async () => {
      await subscribe(store, clock, { callback: `${listener.url}/a` })
      await subscribe(store, clock, { callback: `${listener.url}/b` })
      const events = []
      for (let i = 0; i < 60; i++) {
        // Every event carries the same business time: the order must come from the outbox, not from eventTime.
        events.push((await commitEvent(store, 'CustomerBillStateChangeEvent', bill(`b-${i}`, 'sent'))).eventId)
      }
      dispatcher = dispatch(store, clock, { concurrency: 4 })
      await listener.waitFor(120)
      for (const path of ['/a', '/b']) {
        assert.deepEqual(listener.received.filter((r) => r.path === path).map((r) => r.headers['x-event-id']), events)
      }
    })

    it('delivers events committed while no dispatcher ran, once one starts', async () => {
      await subscribe(store, clock, { callback: listener.url })
      const first = await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new'))
      await fanOutEvents(store, clock.now()) // fanned out, never attempted
      const second = await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'sent')) // still in the outbox
      dispatcher = dispatch(store, clock)
      const got = await listener.waitFor(2)
      assert.deepEqual(got.map((r) => r.headers['x-event-id']), [first.eventId, second.eventId])
    })

    it('takes over deliveries a crashed process had claimed once their lock expires (at least once)', async () => {
      const sub = await subscribe(store, clock, { callback: listener.url })
      const events = [
        await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new')),
        await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'sent'))
      ]
      await fanOutEvents(store, clock.now())
      // A process claims both, then dies (SIGKILL) before recording anything: the rows keep its locks.
      const claimed = await store.transaction((trx) => claimDeliveries(trx, {
        subscriptionId: sub.id, now: clock.now(), limit: 10, stepMs: 2000, marginMs: 30_000, skipLocked: store.dialect.supportsSkipLocked
      }))
      assert.equal(claimed.length, 2)

      dispatcher = dispatch(store, clock)
      await dispatcher.drain()
      assert.equal(listener.received.length, 0, 'locked deliveries are not taken while the lock holds')
      clock.set(new Date(Math.max(...claimed.map((c) => Date.parse(c.lockedUntil)))))
      await dispatcher.drain()
      const got = await listener.waitFor(2)
      assert.deepEqual(got.map((r) => r.headers['x-event-id']), events.map((e) => e.eventId))
      await dispatcher.drain()
      assert.deepEqual((await listDeliveries(store, {})).map((d) => d.status), ['delivered', 'delivered'])
    })

    it('gives claimed deliveries back when it stops, without counting an attempt, and a new dispatcher sends them', async () => {
      const sub = await subscribe(store, clock, { callback: listener.url })
      for (let i = 0; i < 5; i++) await commitEvent(store, 'CustomerBillCreateEvent', bill(`b-${i}`, 'new'))
      listener.respond = () => new Promise((resolve) => setTimeout(() => resolve(204), 1000))
      dispatcher = dispatch(store, clock)
      await listener.waitFor(1)
      await dispatcher.stop() // the first request is still waiting for its answer
      const pending = await listDeliveries(store, { subscriptionId: sub.id })
      assert.deepEqual(pending.map((d) => [d.status, d.attempts]), Array(5).fill(['pending', 0]))

      listener.respond = () => 204
      dispatcher = dispatch(store, clock)
      await listener.waitFor(6)
      await dispatcher.drain()
      assert.deepEqual((await listDeliveries(store, {})).map((d) => d.status), Array(5).fill('delivered'))
      assert.equal(listener.received[0]?.headers['x-event-id'], listener.received[1]?.headers['x-event-id'],
        'the interrupted event is sent again: at least once')
    })

    if (kind === 'postgres') {
      it('shares the work between two server processes without sending any delivery twice', async () => {
        const other = await openStore(store.url)
        try {
          for (const name of ['a', 'b', 'c']) await subscribe(store, clock, { callback: `${listener.url}/${name}` })
          for (let i = 0; i < 100; i++) await commitEvent(store, 'CustomerBillCreateEvent', bill(`b-${i}`, 'new'))
          dispatcher = dispatch(store, systemClock)
          const second = dispatch(other, systemClock)
          await listener.waitFor(300, 20_000)
          await Promise.all([dispatcher.drain(), second.drain()])
          await second.stop()
          const deliveryIds = listener.received.map((r) => String(r.headers['x-delivery-id']))
          assert.equal(deliveryIds.length, 300)
          assert.equal(new Set(deliveryIds).size, 300, 'no delivery was sent twice')
          assert.equal(new Set(listener.received.map((r) => `${r.path} ${String(r.headers['x-event-id'])}`)).size, 300)
        } finally {
          await other.close()
        }
      })
    }
  })
}
