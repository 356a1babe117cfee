import { newId } from '../domain/ids.ts'
import type { Db } from '../store/database.ts'
import { writeJson } from '../store/database.ts'
import { EventTypes, type EventType, type TmfEvent } from './event-types.ts'

/**
 * Records an event in the same transaction as the change that caused it (transactional outbox). A rolled-back
 * change leaves no event; a committed one always has its event. Deliveries are fanned out later by the
 * dispatcher, so subscriptions registered or removed meanwhile are honoured at delivery time.
 */
export async function enqueueEvent (db: Db, eventType: EventType, resource: Record<string, unknown>,
  at: Date, correlationId?: string): Promise<TmfEvent> {
  const [event] = await enqueueEvents(db, eventType, [{ resource, at, ...(correlationId !== undefined ? { correlationId } : {}) }])
  return event as TmfEvent
}

/** Several events of one type in one statement (a bill run's batch), recorded in the order given. */
export async function enqueueEvents (db: Db, eventType: EventType,
  items: { resource: Record<string, unknown>; at: Date; correlationId?: string }[]): Promise<TmfEvent[]> {
  const events = items.map(({ resource, at, correlationId }): TmfEvent => ({
    eventId: newId(),
    eventTime: at.toISOString(),
    eventType,
    ...(correlationId !== undefined ? { correlationId } : {}),
    event: { [EventTypes[eventType]]: resource }
  }))
  const rows = events.map((event) => {
    const body = writeJson(event)
    // NOTE: the text is fixed here, at commit, so every attempt and every subscriber gets the same bytes.
    return { id: event.eventId, event_type: eventType, event_time: event.eventTime, payload: body, body, fanned_out_at: null }
  })
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db.insertInto('event_outbox').values(rows.slice(i, i + INSERT_CHUNK)).execute()
  }
  return events
}

/** Rows per multi-row INSERT: well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 500
