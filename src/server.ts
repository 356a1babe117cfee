import closeWithGrace from 'close-with-grace'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import type { Config } from './config.ts'
import { type Clock, systemClock } from './domain/clock.ts'
import { parseTaxConfig } from './domain/tax.ts'
import { openStore, type Store } from './store/database.ts'
import { type BackgroundJobs, startBackgroundJobs } from './jobs/background.ts'
import { startEventDispatcher } from './events/dispatcher.ts'

export interface Server {
  app: FastifyInstance
  store: Store
  jobs: BackgroundJobs | undefined
}

/**
 * Wires a server: store, HTTP app and background jobs. `tmfbill serve` listens on it; tests use it with their
 * own store and clock. Closing the app stops the jobs and closes the store.
 */
export async function createServer (config: Config, options: { store?: Store; clock?: Clock; jobs?: boolean } = {}): Promise<Server> {
  // A PostgreSQL connection dropped while idle is logged through pino once the app (and its logger) exists.
  const logger: { log?: FastifyBaseLogger } = {}
  const store = options.store ?? await openStore(config.databaseUrl, {
    onConnectionError: (err) => logger.log ? logger.log.warn({ err }, 'PostgreSQL dropped an idle connection') : console.error(err.message)
  })
  const clock = options.clock ?? systemClock
  const taxConfig = parseTaxConfig(config.taxRules)
  let jobs: BackgroundJobs | undefined
  const app = await buildApp({ config, store, clock, taxConfig, workers: { wake: (job) => jobs?.wake(job) } })
  logger.log = app.log
  if (options.jobs !== false) {
    const events = startEventDispatcher({ store, clock, config, log: app.log })
    jobs = startBackgroundJobs({ config, store, clock, log: app.log, events })
  }
  app.addHook('onClose', async () => {
    await jobs?.stop()
    await store.close()
  })
  return { app, store, jobs }
}

export async function startServer (config: Config): Promise<FastifyInstance> {
  const { app } = await createServer(config)
  await app.listen({ port: config.port, host: config.host })
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    await app.close()
  })
  return app
}
