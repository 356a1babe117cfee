import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { systemClock } from '../../src/domain/clock.ts'
import type { TmfEvent } from '../../src/events/event-types.ts'
import { fanOutEvents } from '../../src/events/fan-out.ts'
import { pruneDelivered, recordDelivered, recordFailure } from '../../src/store/deliveries.ts'
import { deleteSubscription } from '../../src/store/hub.ts'
import { openTestStore, storeKinds } from '../helpers/stores.ts'
import { bill, commitEvent, subscribe } from './support.ts'

const OLD = new Date('2025-01-10T00:00:00Z')
const RECENT = new Date('2025-03-01T00:00:00Z')
const CUTOFF = new Date('2025-02-01T00:00:00Z')

for (const kind of await storeKinds()) {
  describe(`event retention (${kind})`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>
    before(async () => { store = await openTestStore(kind) })
    after(async () => { await store?.dispose() })

    test('old delivered deliveries go, then their events; dead and recent ones and the latest event stay', async () => {
      await subscribe(store, systemClock, { callback: 'http://127.0.0.1:9/listener' })
      const events: TmfEvent[] = []
      for (const id of ['b-1', 'b-2', 'b-3', 'b-4']) events.push(await commitEvent(store, 'CustomerBillCreateEvent', bill(id, 'new')))
      assert.equal(await fanOutEvents(store, OLD), 4)
      const deliveries = await store.db.selectFrom('event_delivery').select(['id', 'event_id']).execute()
      const deliveryOf = (i: number) => deliveries.find((d) => d.event_id === events[i]?.eventId)?.id as string
      await recordDelivered(store.db, deliveryOf(0), OLD, 204)
      await recordFailure(store.db, deliveryOf(1), { attemptsBefore: 0, at: OLD, httpStatus: 500, error: 'HTTP 500', nextAttemptAt: null })
      await recordDelivered(store.db, deliveryOf(2), RECENT, 204)
      await recordDelivered(store.db, deliveryOf(3), OLD, 204)

      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 1000), { deliveries: 2, events: 1 })
      const left = await store.db.selectFrom('event_delivery').select(['event_id', 'status']).orderBy('event_seq').execute()
      assert.deepEqual(left.map((d) => [d.event_id, d.status]), [[events[1]?.eventId, 'dead'], [events[2]?.eventId, 'delivered']])
      const kept = await store.db.selectFrom('event_outbox').select(['id', 'seq']).orderBy('seq').execute()
      assert.deepEqual(kept.map((e) => e.id), [events[1]?.eventId, events[2]?.eventId, events[3]?.eventId],
        'the dead delivery keeps its event, the recent one too, and the latest event stays')
      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 1000), { deliveries: 0, events: 0 }, 'a second pass finds nothing')

      const next = await commitEvent(store, 'CustomerBillCreateEvent', bill('b-5', 'new'))
      const seqs = await store.db.selectFrom('event_outbox').select(['id', 'seq']).orderBy('seq').execute()
      assert.equal(seqs.at(-1)?.id, next.eventId, 'a new event still comes after every kept one')
      assert.ok(Number(seqs.at(-1)?.seq) > Number(seqs.at(-2)?.seq))
    })

    test('a pass deletes at most `limit` of each', async () => {
      const more: TmfEvent[] = []
      for (let i = 0; i < 5; i++) more.push(await commitEvent(store, 'CustomerBillCreateEvent', bill(`c-${i}`, 'new')))
      await fanOutEvents(store, OLD)
      const pending = await store.db.selectFrom('event_delivery').select('id').where('status', '=', 'pending').execute()
      for (const d of pending) await recordDelivered(store.db, d.id, OLD, 204)
      assert.equal(pending.length, 6, 'the five new events and the one committed after the last pass')
      // Six events can go: b-4 (no longer the latest), b-5 and c-0 to c-3; the latest, c-4, stays.
      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 2), { deliveries: 2, events: 2 })
      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 2), { deliveries: 2, events: 2 })
      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 2), { deliveries: 2, events: 2 })
      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 2), { deliveries: 0, events: 0 })
      const latest = await store.db.selectFrom('event_outbox').select('id').orderBy('seq', 'desc').executeTakeFirst()
      assert.equal(latest?.id, more[4]?.eventId)
    })

    test('deliveries cancelled with their subscription go once they are old, and their events with them', async () => {
      const subscription = await subscribe(store, systemClock, { callback: 'http://127.0.0.1:9/other' })
      await store.db.deleteFrom('event_delivery').execute()
      await store.db.deleteFrom('event_outbox').execute()
      await store.db.deleteFrom('hub_subscription').where('id', '!=', subscription.id).execute()
      const event = await commitEvent(store, 'CustomerBillCreateEvent', bill('d-1', 'new'))
      await commitEvent(store, 'CustomerBillCreateEvent', bill('d-2', 'new'))
      await fanOutEvents(store, OLD)
      await store.db.updateTable('event_delivery').set({ created_at: OLD.toISOString() }).execute()
      await deleteSubscription(store.db, subscription.id, OLD)
      const statuses = await store.db.selectFrom('event_delivery').select('status').execute()
      assert.deepEqual(statuses.map((d) => d.status), ['cancelled', 'cancelled'])
      assert.deepEqual(await pruneDelivered(store.db, CUTOFF, 1000), { deliveries: 2, events: 1 })
      assert.equal(await store.db.selectFrom('event_outbox').select('id').where('id', '=', event.eventId).executeTakeFirst(), undefined)
    })
  })
}
