import type { Db } from './database.ts'
import type { HubSubscriptionRow } from './types.ts'

/** A registered listener. `secret` signs its notifications; it is stored but never written out by the API. */
export interface HubSubscription {
  id: string
  callback: string
  query: string | null
  secret: string | null
  createdAt: string
}

function toRecord (row: HubSubscriptionRow): HubSubscription {
  return { id: row.id, callback: row.callback, query: row.query, secret: row.secret, createdAt: row.created_at }
}

export async function insertSubscription (db: Db, s: HubSubscription): Promise<void> {
  await db.insertInto('hub_subscription').values({
    id: s.id, callback: s.callback, query: s.query, secret: s.secret, created_at: s.createdAt
  }).execute()
}

export async function findSubscription (db: Db, id: string): Promise<HubSubscription | undefined> {
  const row = await db.selectFrom('hub_subscription').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

/**
 * Every subscription, oldest first (there are few: one per consuming system). `forShare` (PostgreSQL) makes a
 * concurrent DELETE wait until the caller's transaction commits, so it then cancels the deliveries the caller
 * created instead of leaving them behind.
 */
export async function listSubscriptions (db: Db, opts: { forShare?: boolean } = {}): Promise<HubSubscription[]> {
  const rows = await db.selectFrom('hub_subscription').selectAll().orderBy('created_at').orderBy('id')
    .$if(opts.forShare === true, (q) => q.forShare()).execute()
  return rows.map(toRecord)
}

/**
 * Removes a subscription and cancels its deliveries that have not been made yet, so nothing more is sent to
 * it. Delivered and dead deliveries stay as history. Returns false when the id is unknown.
 */
export async function deleteSubscription (db: Db, id: string, now: Date): Promise<boolean> {
  const deleted = await db.deleteFrom('hub_subscription').where('id', '=', id).executeTakeFirst()
  if (Number(deleted.numDeletedRows) === 0) return false
  await db.updateTable('event_delivery')
    .set({ status: 'cancelled', locked_until: null, last_error: `subscription deleted at ${now.toISOString()}` })
    .where('subscription_id', '=', id).where('status', '=', 'pending')
    .execute()
  return true
}
