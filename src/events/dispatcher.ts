import type { Config } from '../config.ts'
import type { Clock } from '../domain/clock.ts'
import type { Store } from '../store/database.ts'
import { type ClaimedDelivery, claimDeliveries, recordDelivered, recordFailure, releaseClaims } from '../store/deliveries.ts'
import { type HubSubscription, listSubscriptions } from '../store/hub.ts'
import { assertCallbackAllowed, cachingResolver, type ResolveHost, resolveWithDns } from './callback-policy.ts'
import { type AttemptOutcome, buildDeliveryRequest, sendDelivery } from './delivery.ts'
import { fanOutEvents } from './fan-out.ts'
import { nextRetryDelayMs, type RetryPolicy } from './retry-schedule.ts'

/** The pino methods the dispatcher uses (Fastify's logger fits). */
export interface DispatcherLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface DispatcherDeps {
  store: Store
  clock: Clock
  config: Pick<Config, 'events'>
  log?: DispatcherLog
  /** Jitter source, in [0, 1). */
  random?: () => number
  resolve?: ResolveHost
  /** Deliveries of one subscription claimed together and then sent one after the other. */
  batchSize?: number
  /** Added to each lock beyond the send timeouts: time to record outcomes. Default: the timeout, at least 1 s. */
  lockMarginMs?: number
}

export interface EventDispatcher {
  /** Look for work now instead of at the next poll (the API calls it after committing an event). */
  wake(): void
  /** Stops claiming, aborts requests in flight and gives their deliveries back; resolves when all is settled. */
  stop(): Promise<void>
  /** Resolves once a pass found nothing to fan out and nothing due, with nothing in flight. */
  drain(): Promise<void>
}

const FAN_OUT_BATCH = 200

/**
 * The delivery loop: fan out committed events, then for each subscription without a batch in flight (at most
 * `events.concurrency` at a time) claim its due deliveries and send them in order, one at a time.
 * Every step is driven by rows in the store, so a restarted process simply carries on: pending deliveries stay
 * due, and those a dead process had claimed become due again when their lock expires (at least once).
 */
export function startEventDispatcher (deps: DispatcherDeps): EventDispatcher {
  const dispatcher = new Dispatcher(deps)
  const done = dispatcher.run()
  return {
    wake: () => dispatcher.wake(),
    stop: async () => { await dispatcher.stop(); await done },
    drain: () => dispatcher.drain()
  }
}

class Dispatcher {
  private readonly deps: DispatcherDeps
  private readonly policy: RetryPolicy
  private readonly resolve: ResolveHost
  private readonly lanes = new Map<string, Promise<void>>()
  private readonly stopping = new AbortController()
  private stopped = false
  private woken = false
  private interrupt: (() => void) | undefined
  private passes = 0
  private rotation = 0
  private idleWaiters: { after: number; resolve: () => void }[] = []

  constructor (deps: DispatcherDeps) {
    this.deps = deps
    const e = deps.config.events
    this.policy = { baseMs: e.retryBaseMs, maxDelayMs: e.retryMaxDelayMs, maxAttempts: e.maxAttempts }
    this.resolve = cachingResolver(deps.resolve ?? resolveWithDns)
  }

  async run (): Promise<void> {
    while (!this.stopped) {
      const pass = ++this.passes
      let busy = false
      let failed = false
      try {
        busy = await this.pass()
      } catch (err) {
        failed = true
        this.deps.log?.error({ err }, 'event dispatch pass failed; retrying at the next poll')
      }
      if (!busy && !failed && this.lanes.size === 0) this.settleIdle(pass)
      if (!busy) await this.sleep(this.deps.config.events.pollMs)
    }
    await Promise.allSettled(this.lanes.values())
    this.settleIdle(Number.POSITIVE_INFINITY)
  }

  wake (): void {
    const interrupt = this.interrupt
    if (interrupt) interrupt()
    else this.woken = true
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.stopping.abort()
    this.wake()
  }

  drain (): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      this.idleWaiters.push({ after: this.passes, resolve })
      this.wake()
    })
  }

  /** One pass; true when it found work, so the next pass starts at once. */
  private async pass (): Promise<boolean> {
    const { store, clock, config } = this.deps
    const fanned = await fanOutEvents(store, clock.now(), {
      limit: FAN_OUT_BATCH,
      onUnreadableQuery: (s) => this.deps.log?.warn({ subscriptionId: s.id }, 'subscription query no longer parses; it receives nothing')
    })
    const subscriptions = await listSubscriptions(store.db)
    const start = subscriptions.length > 0 ? this.rotation++ % subscriptions.length : 0
    let claimed = 0
    // Rotating the starting point keeps every subscription served when there are more than `concurrency`.
    for (let i = 0; i < subscriptions.length && this.lanes.size < config.events.concurrency && !this.stopped; i++) {
      const subscription = subscriptions[(start + i) % subscriptions.length]
      if (subscription === undefined || this.lanes.has(subscription.id)) continue
      const batch = await store.transaction((trx) => claimDeliveries(trx, {
        subscriptionId: subscription.id,
        now: clock.now(),
        limit: this.deps.batchSize ?? 20,
        stepMs: config.events.timeoutMs,
        marginMs: this.deps.lockMarginMs ?? Math.max(1000, config.events.timeoutMs),
        skipLocked: store.dialect.supportsSkipLocked
      }))
      if (batch.length === 0) continue
      claimed += batch.length
      const lane = this.sendInOrder(subscription, batch)
        .catch((err: unknown) => this.deps.log?.error({ err, subscriptionId: subscription.id }, 'event delivery failed unexpectedly'))
        .finally(() => { this.lanes.delete(subscription.id); this.wake() })
      this.lanes.set(subscription.id, lane)
    }
    return fanned > 0 || claimed > 0
  }

  private async sendInOrder (subscription: HubSubscription, batch: ClaimedDelivery[]): Promise<void> {
    const timeoutMs = this.deps.config.events.timeoutMs
    for (const [i, delivery] of batch.entries()) {
      // NOTE: a lane that fell behind (slow writes, a stalled event loop) stops before a lock could expire
      // mid-request: another node may take the rest, but never while this one is still sending it.
      const behind = Date.parse(delivery.lockedUntil) - this.deps.clock.now().getTime() < timeoutMs
      if (this.stopped || behind) {
        await releaseClaims(this.deps.store.db, batch.slice(i))
        return
      }
      await this.attempt(subscription, delivery)
    }
  }

  private async attempt (subscription: HubSubscription, delivery: ClaimedDelivery): Promise<void> {
    const { store, clock, log } = this.deps
    const outcome = await this.send(subscription, delivery)
    const at = clock.now()
    const ids = { deliveryId: delivery.id, eventId: delivery.eventId, subscriptionId: subscription.id, attempt: delivery.attempts + 1 }
    if (outcome.ok) {
      await recordDelivered(store.db, delivery.id, at, outcome.status)
      log?.info({ ...ids, status: outcome.status }, 'event delivered')
      return
    }
    if (this.stopping.signal.aborted) {
      // Not the receiver's fault: give the delivery back without counting an attempt.
      await releaseClaims(store.db, [delivery])
      return
    }
    const delay = nextRetryDelayMs(delivery.attempts + 1, this.policy, this.deps.random)
    const nextAttemptAt = delay === null ? null : new Date(at.getTime() + delay)
    await recordFailure(store.db, delivery.id, {
      attemptsBefore: delivery.attempts, at, httpStatus: outcome.status, error: outcome.error, nextAttemptAt
    })
    if (nextAttemptAt === null) log?.error({ ...ids, status: outcome.status, error: outcome.error }, 'event delivery dead: no attempt left')
    else log?.warn({ ...ids, status: outcome.status, error: outcome.error, nextAttemptAt }, 'event delivery failed; will retry')
  }

  private async send (subscription: HubSubscription, delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    const events = this.deps.config.events
    if (!events.allowPrivateCallbacks) {
      try {
        await assertCallbackAllowed(subscription.callback, { allowPrivate: false, resolve: this.resolve })
      } catch (err) {
        return { ok: false, status: null, error: (err as Error).message }
      }
    }
    const request = buildDeliveryRequest(delivery, subscription, { target: events.target, now: this.deps.clock.now() })
    return sendDelivery(request, { timeoutMs: events.timeoutMs, signal: this.stopping.signal })
  }

  private sleep (ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.interrupt = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.interrupt = done
    })
  }

  private settleIdle (pass: number): void {
    const ready = this.idleWaiters.filter((w) => w.after < pass)
    this.idleWaiters = this.idleWaiters.filter((w) => w.after >= pass)
    for (const w of ready) w.resolve()
  }
}
