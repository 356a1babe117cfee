import type { Command } from 'commander'
import { loadConfig } from '../config.ts'
import { openStore } from '../store/database.ts'
import { countMatchingDeliveries, type DeliveryFilter, listDeliveries, parseDeliveryStatus, retryDeliveries } from '../events/operations.ts'

/**
 * `tmfbill deliveries list|retry`: the operator's view of notification deliveries. A running server picks up
 * retried deliveries at its next poll (EVENT_POLL_MS).
 */
export function registerDeliveryCommands (program: Command): void {
  const deliveries = program.command('deliveries').description('notification deliveries: list failed ones and retry them')

  deliveries.command('list').description('list deliveries (default: failed ones, i.e. retrying or dead)')
    .option('--status <status>', 'pending, delivered, dead, cancelled or failed', 'failed')
    .option('--subscription <id>', 'only this hub subscription')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: { status: string; subscription?: string; limit: string }) => {
      const filter: DeliveryFilter = {
        status: parseDeliveryStatus(opts.status),
        ...(opts.subscription !== undefined ? { subscriptionId: opts.subscription } : {})
      }
      const store = await openStore(loadConfig().databaseUrl)
      try {
        const total = await countMatchingDeliveries(store, filter)
        const rows = await listDeliveries(store, { ...filter, limit: Math.max(1, Number(opts.limit) || 50) })
        for (const d of rows) {
          console.log(`${d.id}  ${d.status.padEnd(9)} ${d.eventType.padEnd(38)} attempts=${d.attempts} ` +
            `last=${d.lastStatus ?? '-'} ${d.lastError ?? ''}${d.nextAttemptAt ? ` next=${d.nextAttemptAt}` : ''}`)
        }
        console.log(`${rows.length} of ${total} ${opts.status} deliveries shown`)
      } finally {
        await store.close()
      }
    })

  deliveries.command('retry').description('make deliveries due again with a fresh retry schedule')
    .argument('[ids...]', 'delivery ids; without ids, every dead delivery')
    .option('--subscription <id>', 'with no ids: only the dead deliveries of this subscription')
    .action(async (ids: string[], opts: { subscription?: string }) => {
      const store = await openStore(loadConfig().databaseUrl)
      try {
        const reset = await retryDeliveries(store, ids.length > 0 ? ids : 'allDead',
          opts.subscription !== undefined ? { subscriptionId: opts.subscription } : {})
        console.log(`${reset.length} deliveries scheduled for retry`)
      } finally {
        await store.close()
      }
    })
}
