import { readFile, writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Config } from '../../src/config.ts'
import type { Clock } from '../../src/domain/clock.ts'
import { type EventDispatcher, startEventDispatcher } from '../../src/events/dispatcher.ts'
import type { EventType, TmfEvent } from '../../src/events/event-types.ts'
import { registerSubscription, type SubscriptionInput } from '../../src/events/hub.ts'
import { enqueueEvent } from '../../src/events/outbox.ts'
import type { Store } from '../../src/store/database.ts'
import type { HubSubscription } from '../../src/store/hub.ts'

export type EventsConfig = Config['events']

export function eventsConfig (overrides: Partial<EventsConfig> = {}): Pick<Config, 'events'> {
  return {
    events: {
      target: 'callback',
      timeoutMs: 2000,
      retryBaseMs: 10_000,
      retryMaxDelayMs: 3 * 3600_000,
      maxAttempts: 5,
      concurrency: 4,
      pollMs: 20,
      allowPrivateCallbacks: true,
      retentionDays: 30,
      ...overrides
    }
  }
}

export function dispatch (store: Store, clock: Clock, overrides: Partial<EventsConfig> = {}, random?: () => number): EventDispatcher {
  return startEventDispatcher({ store, clock, config: eventsConfig(overrides), ...(random ? { random } : {}) })
}

export function subscribe (store: Store, clock: Clock, input: SubscriptionInput): Promise<HubSubscription> {
  return registerSubscription(input, { store, clock, allowPrivateCallbacks: true })
}

/** Commits one event as the engine does: inside a transaction. */
export function commitEvent (store: Store, type: EventType, resource: Record<string, unknown>, at = new Date('2025-03-01T00:00:00Z')): Promise<TmfEvent> {
  return store.transaction((trx) => enqueueEvent(trx, type, resource, at))
}

export function bill (id: string, state: string): Record<string, unknown> {
  return { id, href: `http://localhost/tmf-api/customerBillManagement/v4/customerBill/${id}`, state,
    amountDue: { unit: 'EUR', value: 12.5 }, '@type': 'CustomerBill' }
}

export function onDemand (id: string, state: string): Record<string, unknown> {
  return { id, href: `http://localhost/tmf-api/customerBillManagement/v4/customerBillOnDemand/${id}`, state,
    billingAccount: { id: 'acc-1' }, '@type': 'CustomerBillOnDemand' }
}

type Verify = (secret: string, rawBody: string | Buffer, headers: Record<string, unknown>, toleranceSeconds?: number, nowSeconds?: number) => boolean

/**
 * The receiver's verification function exactly as docs/events.md shows it: the fenced block after the
 * `snippet: verify-signature` marker is written to a module and imported, so the docs cannot drift.
 */
export async function loadDocumentedVerifier (): Promise<Verify> {
  const doc = await readFile(new URL('../../docs/events.md', import.meta.url), 'utf8')
  const match = /<!-- snippet: verify-signature -->\s*```js\n([\s\S]*?)```/.exec(doc)
  if (!match?.[1]) throw new Error('docs/events.md has no verify-signature snippet')
  const file = join(await mkdtemp(join(tmpdir(), 'tmfbill-snippet-')), 'verify.mjs')
  await writeFile(file, match[1])
  const mod = await import(pathToFileURL(file).href) as { verifyTmfbillSignature: Verify }
  return mod.verifyTmfbillSignature
}
