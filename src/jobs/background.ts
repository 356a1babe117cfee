import { hostname } from 'node:os'
import type { Config } from '../config.ts'
import type { Clock } from '../domain/clock.ts'
import { newId } from '../domain/ids.ts'
import { processNextOnDemand } from '../domain/on-demand.ts'
import { runBillRun } from '../domain/bill-run.ts'
import { renderPendingDocuments } from '../documents/bill-documents.ts'
import type { Store } from '../store/database.ts'
import { pruneDelivered } from '../store/deliveries.ts'
import { acquireLease, releaseLease } from '../store/leases.ts'
import { billingOptions } from '../context.ts'
import { type Loop, type LoopLogger, startLoop } from './loop.ts'
import type { Wakeable } from '../app.ts'

export interface BackgroundJobs extends Wakeable {
  stop(): Promise<void>
}

export interface BackgroundDeps {
  config: Config
  store: Store
  clock: Clock
  log: LoopLogger & { info(obj: unknown, msg: string): void }
  /** The event dispatcher is started by src/events; it is one more loop here. */
  events?: Loop
}

const PRUNE_BATCH = 1000

/** The lease that keeps the in-server bill-run scheduler on one node at a time. */
export const SCHEDULER_LEASE = 'bill-run-scheduler'

/**
 * The work a server process does besides answering requests: on-demand bills, bill documents, event
 * delivery, the pruning of delivered events and the bill-run scheduler. Every loop is safe to run in several
 * processes over one PostgreSQL.
 */
export function startBackgroundJobs (deps: BackgroundDeps): BackgroundJobs {
  const { config, store, clock, log } = deps
  const billing = billingOptions(config, store)
  const onDemandDeps = { store, clock, billing, defaultCycleDay: config.billCycleDay }
  const onDemand = startLoop('onDemand', 1000, () => processNextOnDemand(onDemandDeps), log)
  const documents = startLoop('documents', 2000,
    async () => (await renderPendingDocuments({ store, issuerName: config.issuerName, now: () => clock.now() }, 20)) > 0, log)
  const holder = `${hostname()}:${process.pid}:${newId().slice(-8)}`
  const scheduler = config.billRunSchedule
    ? startLoop('billRunScheduler', config.billRunIntervalSeconds * 1000, async () => {
      const now = clock.now()
      const leaseMs = config.billRunIntervalSeconds * 1000 + 60_000
      // NOTE: the lease makes the scheduled run happen on one node at a time; the run itself would be safe anyway.
      if (!await acquireLease(store.db, SCHEDULER_LEASE, holder, now, new Date(now.getTime() + leaseMs))) return false
      const result = await runBillRun({ defaultCycleDay: config.billCycleDay }, { store, clock, billing })
      if (result.bills > 0) log.info({ bills: result.bills, accounts: result.accounts, rates: result.rates }, 'scheduled bill run')
      if (result.bills > 0) documents.wake()
      return false
    }, log)
    : undefined
  // Deliveries delivered more than EVENT_RETENTION_DAYS ago go, and then their events: 1,000 rows a statement,
  // hourly, and at once again while a pass finds a full batch (docs/events.md).
  const retentionMs = config.events.retentionDays * 86_400_000
  const retention = retentionMs > 0
    ? startLoop('eventRetention', 3600_000, async () => {
      const pruned = await pruneDelivered(store.db, new Date(clock.now().getTime() - retentionMs), PRUNE_BATCH)
      return pruned.deliveries === PRUNE_BATCH || pruned.events === PRUNE_BATCH
    }, log)
    : undefined
  const loops = [onDemand, documents, deps.events, scheduler, retention].filter((l): l is Loop => l !== undefined)
  return {
    wake (job) {
      if (job === 'onDemand') onDemand.wake()
      else if (job === 'documents') documents.wake()
      else deps.events?.wake()
    },
    async stop () {
      await Promise.all(loops.map((l) => l.stop()))
      // Handing the lease back lets another node take the schedule at its next tick instead of after expiry.
      if (scheduler) await releaseLease(store.db, SCHEDULER_LEASE, holder).catch((err: unknown) => log.error({ err }, 'could not release the bill-run lease'))
    }
  }
}
