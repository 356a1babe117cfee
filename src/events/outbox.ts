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
  const event: TmfEvent = {
    eventId: newId(),
    eventTime: at.toISOString(),
    eventType,
    ...(correlationId !== undefined ? { correlationId } : {}),
    event: { [EventTypes[eventType]]: resource }
  }
  const body = writeJson(event)
  await db.insertInto('event_outbox').values({
    id: event.eventId,
    event_type: eventType,
    event_time: event.eventTime,
    payload: body,
    // NOTE: the text is fixed here, at commit, so every attempt and every subscriber gets the same bytes.
    body,
    fanned_out_at: null
  }).execute()
  return event
}
