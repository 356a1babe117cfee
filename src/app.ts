import Fastify, { type FastifyInstance, LogController } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.ts'
import type { Clock } from './domain/clock.ts'
import { API_PATH } from './domain/resources.ts'
import type { TaxConfig } from './domain/tax.ts'
import type { Store } from './store/database.ts'
import { documentQueryParameters } from './api/openapi-query.ts'
import { handleClientError, handleFrameworkError, registerErrorHandlers } from './api/errors.ts'
import { registerContentTypes } from './api/content-types.ts'
import { registerInputGuard } from './api/input-guard.ts'
import { customerBillRoutes } from './api/routes/customer-bill.ts'
import { onDemandRoutes } from './api/routes/customer-bill-on-demand.ts'
import { rateRoutes } from './api/routes/applied-customer-billing-rate.ts'
import { hubRoutes } from './api/routes/hub.ts'
import { paymentRoutes } from './api/routes/payment.ts'

/** Background work the API can nudge after a commit (the loops also poll, so a missed nudge only delays). */
export interface Wakeable {
  wake(job: 'onDemand' | 'events' | 'documents'): void
}

export interface AppDeps {
  config: Config
  store: Store
  clock: Clock
  taxConfig: TaxConfig
  workers?: Wakeable
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps
  }
}

/** Builds the whole HTTP application without listening: the server and the tests both call this. */
export async function buildApp (deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.config.logLevel === 'silent' ? false : { level: deps.config.logLevel },
    bodyLimit: deps.config.bodyLimitBytes,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
    logController: new LogController({ disableRequestLogging: deps.config.logLevel !== 'debug' && deps.config.logLevel !== 'trace' })
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('deps', deps)
  registerErrorHandlers(app)
  registerContentTypes(app)
  registerInputGuard(app)

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tmfbill — TMF678 Customer Bill Management',
        version: '4.0.0',
        description: 'TM Forum TMF678 v4 Customer Bill Management. Operations marked `x-tmfbill-extension` are ' +
          'tmfbill additions outside the TMF678 v4 specification (rate ingest, bill documents, hub listing, payments).'
      },
      servers: [{ url: deps.config.publicUrl }]
    },
    transform: documentQueryParameters
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.get('/health', { schema: { hide: true } }, async () => {
    await deps.store.db.selectFrom('schema_migration').select('name').limit(1).execute()
    return { status: 'ok' }
  })
  app.get(`${API_PATH}/openapi.json`, { schema: { hide: true } }, async () => app.swagger())

  await app.register(async (api) => {
    await api.register(customerBillRoutes)
    await api.register(onDemandRoutes)
    await api.register(rateRoutes)
    await api.register(hubRoutes)
  }, { prefix: API_PATH })
  await app.register(paymentRoutes, { prefix: '/tmf-api/paymentManagement/v4' })
  return app
}
