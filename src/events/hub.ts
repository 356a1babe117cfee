import type { Clock } from '../domain/clock.ts'
import { DomainError, ErrorCodes } from '../domain/errors.ts'
import { newId } from '../domain/ids.ts'
import type { Store } from '../store/database.ts'
import { deleteSubscription, findSubscription, type HubSubscription, insertSubscription, listSubscriptions } from '../store/hub.ts'
import { assertCallbackAllowed, type ResolveHost } from './callback-policy.ts'
import { parseSubscriptionQuery } from './event-filter.ts'

export type { HubSubscription } from '../store/hub.ts'

export interface HubDeps {
  store: Store
  clock: Clock
  allowPrivateCallbacks: boolean
  resolve?: ResolveHost
}

export interface SubscriptionInput {
  callback: string
  query?: string
  secret?: string
}

/**
 * Registers a listener. The callback must be http(s) and, unless private callbacks are allowed, must not
 * be or resolve to a private, loopback or reserved address (INVALID_CALLBACK); the query must parse as a
 * TMF630 filter on the event message (INVALID_QUERY). It receives every matching event committed from now on.
 */
export async function registerSubscription (input: SubscriptionInput, deps: HubDeps): Promise<HubSubscription> {
  await assertCallbackAllowed(input.callback, {
    allowPrivate: deps.allowPrivateCallbacks,
    ...(deps.resolve ? { resolve: deps.resolve } : {})
  })
  const query = input.query === undefined || input.query.trim() === '' ? null : input.query
  parseSubscriptionQuery(query)
  const subscription: HubSubscription = {
    id: newId(),
    callback: input.callback,
    query,
    secret: input.secret ?? null,
    createdAt: deps.clock.now().toISOString()
  }
  await insertSubscription(deps.store.db, subscription)
  return subscription
}

function notFound (id: string): DomainError {
  return new DomainError(ErrorCodes.NOT_FOUND, 'Subscription not found', `No hub subscription with id '${id}'`)
}

/** Removes a listener; its deliveries not yet made are cancelled (NOT_FOUND when unknown). */
export async function unregisterSubscription (id: string, deps: Pick<HubDeps, 'store' | 'clock'>): Promise<void> {
  const deleted = await deps.store.transaction((trx) => deleteSubscription(trx, id, deps.clock.now()))
  if (!deleted) throw notFound(id)
}

export async function getSubscription (id: string, deps: Pick<HubDeps, 'store'>): Promise<HubSubscription> {
  const found = await findSubscription(deps.store.db, id)
  if (!found) throw notFound(id)
  return found
}

export async function listAllSubscriptions (deps: Pick<HubDeps, 'store'>): Promise<HubSubscription[]> {
  return listSubscriptions(deps.store.db)
}
