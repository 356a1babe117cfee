import { newId } from '../domain/ids.ts'
import type { Store } from '../store/database.ts'
import { insertDeliveries, markEventsFannedOut, type NewDelivery, selectEventsToFanOut } from '../store/deliveries.ts'
import { type HubSubscription, listSubscriptions } from '../store/hub.ts'
import { matchesFilters, parseSubscriptionQuery } from './event-filter.ts'

type Filter = ReturnType<typeof parseSubscriptionQuery>[number]

const parsed = new Map<string, Filter[] | null>()

/** A subscription's filters, parsed once per distinct query; null when a stored query no longer parses. */
function filtersOf (query: string | null): Filter[] | null {
  const key = query ?? ''
  if (!parsed.has(key)) {
    if (parsed.size >= 1024) parsed.clear()
    try {
      parsed.set(key, parseSubscriptionQuery(query))
    } catch {
      parsed.set(key, null)
    }
  }
  return parsed.get(key) ?? null
}

/**
 * Turns up to `limit` committed outbox events into one pending delivery per matching subscription and marks
 * them fanned out, all in one transaction: a crash in between leaves the events to be fanned out again, and
 * the unique (event, subscription) key makes that repeat harmless. Returns how many events it handled.
 */
export async function fanOutEvents (store: Store, now: Date, opts: { limit?: number; onUnreadableQuery?: (s: HubSubscription) => void } = {}): Promise<number> {
  return store.transaction(async (trx) => {
    const events = await selectEventsToFanOut(trx, opts.limit ?? 200, store.dialect.supportsSkipLocked)
    if (events.length === 0) return 0
    const subscriptions = await listSubscriptions(trx, { forShare: store.dialect.supportsSkipLocked })
    const matchers: [HubSubscription, Filter[]][] = []
    for (const s of subscriptions) {
      const filters = filtersOf(s.query)
      // A query that parsed at registration but not with this version's parser selects nothing (and is reported).
      if (filters === null) opts.onUnreadableQuery?.(s)
      else matchers.push([s, filters])
    }
    const deliveries: NewDelivery[] = []
    for (const e of events) {
      const message: unknown = JSON.parse(e.body)
      for (const [s, filters] of matchers) {
        if (matchesFilters(message, filters)) {
          deliveries.push({ id: newId(), eventId: e.id, subscriptionId: s.id, eventSeq: e.seq, createdAt: now.toISOString() })
        }
      }
    }
    await insertDeliveries(trx, deliveries, now)
    await markEventsFannedOut(trx, events.map((e) => e.id), now)
    return events.length
  })
}
