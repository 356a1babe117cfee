/** The four TMF678 notifications, and the payload key each carries (NOTES-tmf678-v4 §7). */
export const EventTypes = {
  CustomerBillCreateEvent: 'customerBill',
  CustomerBillStateChangeEvent: 'customerBill',
  CustomerBillOnDemandCreateEvent: 'customerBillOnDemand',
  CustomerBillOnDemandStateChangeEvent: 'customerBillOnDemand'
} as const

export type EventType = keyof typeof EventTypes

export interface TmfEvent {
  eventId: string
  eventTime: string
  eventType: EventType
  correlationId?: string
  event: Record<string, unknown>
}

export function isEventType (value: string): value is EventType {
  return Object.hasOwn(EventTypes, value)
}

/** The TMF listener path segment of an event type: `CustomerBillCreateEvent` → `customerBillCreateEvent`. */
export function listenerNameOf (eventType: EventType): string {
  return eventType.charAt(0).toLowerCase() + eventType.slice(1)
}
