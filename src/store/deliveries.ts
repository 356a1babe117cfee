import type { ExpressionBuilder } from 'kysely'
import type { Db } from './database.ts'
import type { Database } from './types.ts'

/**
 * pending: waiting for its first attempt or a retry; delivered: a 2xx was received; dead: every attempt
 * failed; cancelled: its subscription was deleted before it could be delivered.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'cancelled'

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'dead', 'cancelled']

/** One event for one subscription, as operators see it. */
export interface EventDelivery {
  id: string
  eventId: string
  eventType: string
  subscriptionId: string
  status: DeliveryStatus
  attempts: number
  /** When the next attempt is due; null unless pending. */
  nextAttemptAt: string | null
  lastAttemptAt: string | null
  /** HTTP status of the last attempt; null when it got no response (refused, timeout). */
  lastStatus: number | null
  lastError: string | null
  deliveredAt: string | null
  createdAt: string
}

/** `failed`: not delivered and at least one attempt failed (retrying or dead). */
export interface DeliveryFilter {
  deliveryId?: string
  subscriptionId?: string
  eventId?: string
  status?: DeliveryStatus | 'failed'
  limit?: number
  offset?: number
}

/** A delivery taken by a dispatcher: everything needed to send it without another read. */
export interface ClaimedDelivery {
  id: string
  eventId: string
  eventType: string
  attempts: number
  body: string
  lockedUntil: string
}

export interface OutboxEvent { id: string; seq: number; eventType: string; body: string }

export interface NewDelivery { id: string; eventId: string; subscriptionId: string; eventSeq: number; createdAt: string }

/** Events committed but not yet fanned out, in enqueue order. On PostgreSQL, rows another node holds are skipped. */
export async function selectEventsToFanOut (db: Db, limit: number, skipLocked: boolean): Promise<OutboxEvent[]> {
  const rows = await db.selectFrom('event_outbox').select(['id', 'seq', 'event_type', 'body'])
    .where('fanned_out_at', 'is', null).orderBy('seq').limit(limit)
    .$if(skipLocked, (q) => q.forUpdate().skipLocked())
    .execute()
  return rows.map((r) => ({ id: r.id, seq: Number(r.seq), eventType: r.event_type, body: r.body }))
}

// Well under SQLite's 32766 and PostgreSQL's 65535 bound parameters per statement (8 columns a row).
const INSERT_CHUNK = 500

/** Creates deliveries; the unique (event_id, subscription_id) key makes a repeated fan-out a no-op. */
export async function insertDeliveries (db: Db, deliveries: NewDelivery[], now: Date): Promise<void> {
  for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
    const rows = deliveries.slice(i, i + INSERT_CHUNK).map((d) => ({
      id: d.id,
      event_id: d.eventId,
      subscription_id: d.subscriptionId,
      event_seq: d.eventSeq,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now.toISOString(),
      created_at: d.createdAt
    }))
    await db.insertInto('event_delivery').values(rows)
      .onConflict((oc) => oc.columns(['event_id', 'subscription_id']).doNothing()).execute()
  }
}

export async function markEventsFannedOut (db: Db, eventIds: string[], now: Date): Promise<void> {
  if (eventIds.length === 0) return
  await db.updateTable('event_outbox').set({ fanned_out_at: now.toISOString() }).where('id', 'in', eventIds).execute()
}

/**
 * Claims up to `limit` due deliveries of one subscription, due first and then in enqueue order, and locks
 * them: the i-th (0-based) until `now + (i + 1) * stepMs + marginMs`, because the dispatcher sends them one
 * after the other, each bounded by the timeout `stepMs`. A lock that expires (its process died) makes the
 * delivery due again. Run it in a transaction: on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two nodes from
 * claiming the same row.
 */
export async function claimDeliveries (db: Db, opts: {
  subscriptionId: string; now: Date; limit: number; stepMs: number; marginMs: number; skipLocked: boolean
}): Promise<ClaimedDelivery[]> {
  const now = opts.now.toISOString()
  const rows = await db.selectFrom('event_delivery as d')
    .innerJoin('event_outbox as o', 'o.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'd.attempts', 'o.event_type', 'o.body'])
    .where('d.subscription_id', '=', opts.subscriptionId).where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<=', now)]))
    .orderBy('d.next_attempt_at').orderBy('d.event_seq').limit(opts.limit)
    .$if(opts.skipLocked, (q) => q.forUpdate('d').skipLocked())
    .execute()
  const claimed: ClaimedDelivery[] = []
  for (const [i, r] of rows.entries()) {
    const lockedUntil = new Date(opts.now.getTime() + (i + 1) * opts.stepMs + opts.marginMs).toISOString()
    await db.updateTable('event_delivery').set({ locked_until: lockedUntil }).where('id', '=', r.id).execute()
    claimed.push({ id: r.id, eventId: r.event_id, eventType: r.event_type, attempts: r.attempts, body: r.body, lockedUntil })
  }
  return claimed
}

/**
 * Records a 2xx. Applies as long as the delivery is still pending, even if another node counted a failed
 * attempt meanwhile (the event did arrive).
 */
export async function recordDelivered (db: Db, id: string, at: Date, httpStatus: number): Promise<void> {
  await db.updateTable('event_delivery')
    .set((eb) => ({
      status: 'delivered',
      attempts: eb('attempts', '+', 1),
      delivered_at: at.toISOString(),
      last_attempt_at: at.toISOString(),
      last_status: httpStatus,
      last_error: null,
      locked_until: null
    }))
    .where('id', '=', id).where('status', '=', 'pending').execute()
}

/**
 * Records a failed attempt: due again at `nextAttemptAt`, or dead when that is null. Ignored when the delivery
 * moved on meanwhile (another node took it after this node's lock expired), so attempts are never double-counted.
 */
export async function recordFailure (db: Db, id: string, failure: {
  attemptsBefore: number; at: Date; httpStatus: number | null; error: string; nextAttemptAt: Date | null
}): Promise<void> {
  await db.updateTable('event_delivery')
    .set({
      status: failure.nextAttemptAt === null ? 'dead' : 'pending',
      attempts: failure.attemptsBefore + 1,
      next_attempt_at: (failure.nextAttemptAt ?? failure.at).toISOString(),
      last_attempt_at: failure.at.toISOString(),
      last_status: failure.httpStatus,
      last_error: failure.error.slice(0, 500),
      locked_until: null
    })
    .where('id', '=', id).where('status', '=', 'pending').where('attempts', '=', failure.attemptsBefore)
    .execute()
}

/** Gives claimed but unattempted deliveries back (a stopping dispatcher), without counting an attempt. */
export async function releaseClaims (db: Db, claims: { id: string; lockedUntil: string }[]): Promise<void> {
  for (const c of claims) {
    await db.updateTable('event_delivery').set({ locked_until: null })
      .where('id', '=', c.id).where('locked_until', '=', c.lockedUntil).execute()
  }
}

function applyFilter (eb: ExpressionBuilder<Database & { d: Database['event_delivery'] }, 'd'>, f: DeliveryFilter) {
  const conditions = []
  if (f.deliveryId !== undefined) conditions.push(eb('d.id', '=', f.deliveryId))
  if (f.subscriptionId !== undefined) conditions.push(eb('d.subscription_id', '=', f.subscriptionId))
  if (f.eventId !== undefined) conditions.push(eb('d.event_id', '=', f.eventId))
  if (f.status === 'failed') {
    conditions.push(eb.or([eb('d.status', '=', 'dead'), eb.and([eb('d.status', '=', 'pending'), eb('d.attempts', '>', 0)])]))
  } else if (f.status !== undefined) {
    conditions.push(eb('d.status', '=', f.status))
  }
  return eb.and(conditions)
}

/** Deliveries matching the filter, in enqueue order. */
export async function findDeliveries (db: Db, filter: DeliveryFilter): Promise<EventDelivery[]> {
  const rows = await db.selectFrom('event_delivery as d')
    .innerJoin('event_outbox as o', 'o.id', 'd.event_id')
    .selectAll('d').select('o.event_type')
    .where((eb) => applyFilter(eb, filter))
    .orderBy('d.event_seq').orderBy('d.subscription_id')
    .$if(filter.limit !== undefined, (q) => q.limit(filter.limit ?? 0))
    .$if(filter.offset !== undefined && filter.offset > 0, (q) => q.offset(filter.offset ?? 0))
    .execute()
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    subscriptionId: r.subscription_id,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    createdAt: r.created_at
  }))
}

export async function countDeliveries (db: Db, filter: DeliveryFilter): Promise<number> {
  const row = await db.selectFrom('event_delivery as d')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) => applyFilter(eb, filter))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Makes deliveries due now with a fresh retry schedule. Only dead and pending deliveries qualify (delivered
 * ones arrived, cancelled ones have no subscription), and never one that a dispatcher holds right now.
 * Returns the ids that were reset.
 */
export async function resetDeliveries (db: Db, target: { ids: string[] } | { subscriptionId?: string; status: 'dead' },
  now: Date): Promise<string[]> {
  if ('ids' in target && target.ids.length === 0) return []
  const at = now.toISOString()
  const rows = await db.updateTable('event_delivery')
    .set({ status: 'pending', attempts: 0, next_attempt_at: at, locked_until: null })
    .where((eb) => {
      const held = eb.and([eb('status', '=', 'pending'), eb('locked_until', 'is not', null), eb('locked_until', '>', at)])
      if ('ids' in target) {
        return eb.and([eb('id', 'in', target.ids), eb('status', 'in', ['dead', 'pending']), eb.not(held)])
      }
      return eb.and([eb('status', '=', 'dead'),
        ...(target.subscriptionId !== undefined ? [eb('subscription_id', '=', target.subscriptionId)] : [])])
    })
    .returning('id').execute()
  return rows.map((r) => r.id)
}

/**
 * Deletes, up to `limit` of each, the deliveries delivered before `before` and the cancelled ones created before
 * it, then the events fanned out before `before` that have no delivery left. Pending and dead deliveries, and
 * their events, stay whatever their age. The latest event always stays: on SQLite the next event's `seq` is the
 * largest one plus one.
 */
export async function pruneDelivered (db: Db, before: Date, limit: number): Promise<{ deliveries: number; events: number }> {
  const at = before.toISOString()
  const deliveries = await db.deleteFrom('event_delivery').where('id', 'in', (eb) => eb.selectFrom('event_delivery')
    .select('id').where((w) => w.or([
      w.and([w('status', '=', 'delivered'), w('delivered_at', '<', at)]),
      w.and([w('status', '=', 'cancelled'), w('created_at', '<', at)])
    ])).limit(limit)).executeTakeFirst()
  const events = await db.deleteFrom('event_outbox').where('id', 'in', (eb) => eb.selectFrom('event_outbox as o').select('o.id')
    .where('o.fanned_out_at', '<', at)
    .where('o.seq', '<', eb.selectFrom('event_outbox').select((e) => e.fn.max('seq').as('latest')))
    .where((w) => w.not(w.exists(w.selectFrom('event_delivery as d').select('d.id').whereRef('d.event_id', '=', 'o.id'))))
    .limit(limit)).executeTakeFirst()
  return { deliveries: Number(deliveries.numDeletedRows), events: Number(events.numDeletedRows) }
}
