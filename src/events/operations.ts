import { DomainError, ErrorCodes } from '../domain/errors.ts'
import type { Store } from '../store/database.ts'
import { countDeliveries, DELIVERY_STATUSES, type DeliveryFilter, type EventDelivery, findDeliveries, resetDeliveries } from '../store/deliveries.ts'

export type { DeliveryFilter, EventDelivery } from '../store/deliveries.ts'

/** The status filter values operators may use: the stored statuses plus `failed` (retrying or dead). */
export const DELIVERY_STATUS_FILTERS = [...DELIVERY_STATUSES, 'failed'] as const

/** Reads an operator's status filter (CLI flag, query parameter); INVALID_QUERY when unknown. */
export function parseDeliveryStatus (value: string): NonNullable<DeliveryFilter['status']> {
  const found = DELIVERY_STATUS_FILTERS.find((s) => s === value)
  if (found === undefined) {
    throw new DomainError(ErrorCodes.INVALID_QUERY, 'Invalid query',
      `Unknown delivery status '${value}'; use one of ${DELIVERY_STATUS_FILTERS.join(', ')}`)
  }
  return found
}

/** Deliveries for operators (`tmfbill deliveries list`, GET /hub/{id}/delivery), in event order. */
export async function listDeliveries (store: Store, filter: DeliveryFilter = {}): Promise<EventDelivery[]> {
  return findDeliveries(store.db, filter)
}

export async function countMatchingDeliveries (store: Store, filter: DeliveryFilter = {}): Promise<number> {
  return countDeliveries(store.db, filter)
}

/**
 * Makes deliveries due now with a fresh retry schedule (all attempts again): the given ids (dead or still
 * retrying), or every dead delivery (of one subscription when `subscriptionId` is given). Delivered and
 * cancelled deliveries are left alone, as is one being sent at this moment. A running server picks them up
 * at its next poll; call its dispatcher's `wake()` to start at once. Returns the ids reset.
 */
export async function retryDeliveries (store: Store, which: string[] | 'allDead',
  opts: { now?: Date; subscriptionId?: string } = {}): Promise<string[]> {
  const now = opts.now ?? new Date()
  const target = which === 'allDead'
    ? { status: 'dead' as const, ...(opts.subscriptionId !== undefined ? { subscriptionId: opts.subscriptionId } : {}) }
    : { ids: which }
  return resetDeliveries(store.db, target, now)
}
