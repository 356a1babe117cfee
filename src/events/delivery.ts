import { createHmac } from 'node:crypto'
import type { ClaimedDelivery } from '../store/deliveries.ts'
import type { HubSubscription } from '../store/hub.ts'
import { isEventType, listenerNameOf } from './event-types.ts'

export type DeliveryTarget = 'callback' | 'listener'

export interface DeliveryRequest {
  url: string
  headers: Record<string, string>
  body: string
}

export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string }

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). Signing the timestamp with the body lets a
 * receiver refuse replays of an old, captured notification.
 */
export function signPayload (secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** Where an event goes: the callback as registered, or TMF style `{callback}/listener/{eventName}`. */
export function deliveryUrl (callback: string, eventType: string, target: DeliveryTarget): string {
  if (target === 'callback' || !isEventType(eventType)) return callback
  const url = new URL(callback)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/listener/${listenerNameOf(eventType)}`
  return url.toString()
}

export function buildDeliveryRequest (delivery: ClaimedDelivery, subscription: HubSubscription,
  opts: { target: DeliveryTarget; now: Date }): DeliveryRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'tmfbill-event-hub',
    // NOTE: X-Event-Id is the same on every attempt and for every subscriber: receivers de-duplicate on it.
    'x-event-id': delivery.eventId,
    'x-event-type': delivery.eventType,
    'x-delivery-id': delivery.id,
    'x-delivery-attempt': String(delivery.attempts + 1)
  }
  if (subscription.secret !== null) {
    const timestamp = Math.floor(opts.now.getTime() / 1000)
    headers['x-tmfbill-timestamp'] = String(timestamp)
    headers['x-tmfbill-signature'] = signPayload(subscription.secret, timestamp, delivery.body)
  }
  return { url: deliveryUrl(subscription.callback, delivery.eventType, opts.target), headers, body: delivery.body }
}

/**
 * POSTs once. A 2xx is success; anything else, a redirect included (following one could lead to an address
 * the callback policy refuses), a network error or the timeout is a failure to retry.
 */
export async function sendDelivery (request: DeliveryRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout
  try {
    const res = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal, redirect: 'manual' })
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {})
      return { ok: true, status: res.status }
    }
    const text = await res.text().catch(() => '')
    return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` }
  } catch (err) {
    if (timeout.aborted) return { ok: false, status: null, error: `no response within ${opts.timeoutMs} ms` }
    if (opts.signal?.aborted) return { ok: false, status: null, error: 'aborted: dispatcher stopping' }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    return { ok: false, status: null, error: cause?.code ?? cause?.message ?? (err as Error).message }
  }
}
