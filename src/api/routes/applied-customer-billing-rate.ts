import type { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { DomainError, ErrorCodes } from '../../domain/errors.ts'
import { rateResource } from '../../domain/resources.ts'
import { prepareRate, storeRates } from '../../domain/ingest-rates.ts'
import { importRates } from '../../domain/import-rates.ts'
import { ndjsonLines } from '../../domain/rate-sources.ts'
import { findRate } from '../../store/rates.ts'
import { listRates } from '../../store/list.ts'
import { accountDefaults } from '../../context.ts'
import { parseListQuery, parseRetrieveQuery } from '../query/parse-query.ts'
import { fieldProjection, projectFields } from '../query/fields.ts'
import type { RawQuery } from '../query/types.ts'
import { AppliedCustomerBillingRateCreateSchema, AppliedCustomerBillingRateListSchema, AppliedCustomerBillingRateSchema, ErrorSchema } from '../schemas/index.ts'
import { checkRateInput } from '../schemas/rate-validator.ts'
import { registerMethodNotAllowed } from '../errors.ts'
import { registerNdjson } from '../content-types.ts'
import { sendPage } from '../list-reply.ts'

const errors = { 400: ErrorSchema, 404: ErrorSchema, 405: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema, 500: ErrorSchema }

const ImportSummarySchema = Type.Object({
  read: Type.Integer(), created: Type.Integer(), duplicates: Type.Integer(), rejected: Type.Integer(), durationMs: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() }))
}, { title: 'RateImportSummary', description: 'tmfbill extension: outcome of an NDJSON bulk ingest, line by line' })

export async function rateRoutes (app: FastifyInstance): Promise<void> {
  const { store, config, clock, taxConfig } = app.deps
  const base = config.publicUrl
  const defaults = accountDefaults(config)
  registerNdjson(app)

  app.get('/appliedCustomerBillingRate', {
    schema: { tags: ['appliedCustomerBillingRate'], operationId: 'listAppliedCustomerBillingRate', summary: 'List or find AppliedCustomerBillingRate objects',
      response: { 200: AppliedCustomerBillingRateListSchema, 206: AppliedCustomerBillingRateListSchema, ...errors } }
  }, async (req, reply) => {
    const query = parseListQuery(req.query as RawQuery, { maxLimit: config.maxPageSize, defaultLimit: config.maxPageSize })
    const page = await listRates(store, query)
    const project = fieldProjection(query.fields)
    return sendPage(req, reply, { ...page, items: page.items.map((r) => project(rateResource(r, base))) }, base)
  })

  app.get('/appliedCustomerBillingRate/:id', {
    schema: { tags: ['appliedCustomerBillingRate'], operationId: 'retrieveAppliedCustomerBillingRate', summary: 'Retrieves an AppliedCustomerBillingRate by ID',
      params: Type.Object({ id: Type.String() }), response: { 200: AppliedCustomerBillingRateSchema, ...errors } }
  }, async (req) => {
    const { fields } = parseRetrieveQuery(req.query as RawQuery)
    const { id } = req.params as { id: string }
    const rate = await findRate(store.db, id)
    if (!rate) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No AppliedCustomerBillingRate with id ${id}`)
    return projectFields(rateResource(rate, base), fields)
  })

  app.post('/appliedCustomerBillingRate', {
    schema: {
      tags: ['appliedCustomerBillingRate'], operationId: 'createAppliedCustomerBillingRate',
      summary: 'Ingests rated charges (tmfbill extension)',
      description: 'TMF678 v4 has no create operation for rates; this extension is how a rating system hands its rated ' +
        'charges to tmfbill. `application/json`: one rate → 201 (200 with the stored rate when its `externalId` is known). ' +
        '`application/x-ndjson`: one rate per line, streamed → 200 with a line-by-line summary (valid lines are stored, bad lines reported).',
      body: { content: { 'application/json': { schema: AppliedCustomerBillingRateCreateSchema }, 'application/x-ndjson': { schema: {} } } },
      response: { 200: Type.Union([ImportSummarySchema, AppliedCustomerBillingRateSchema]), 201: AppliedCustomerBillingRateSchema, ...errors },
      'x-tmfbill-extension': true
    } as Record<string, unknown>
  }, async (req, reply) => {
    if ((req.headers['content-type'] ?? '').startsWith('application/x-ndjson')) {
      const summary = await importRates(ndjsonLines(req.body as Readable), { store, clock, taxConfig, accountDefaults: defaults, checkInput: checkRateInput })
      return reply.code(200).send(summary)
    }
    const rate = prepareRate(req.body as Record<string, unknown>, { taxConfig, now: clock.now() })
    const { created, existing } = await storeRates(store, [rate], defaults, clock.now())
    const stored = created[0] ?? existing[0]
    if (!stored) throw new DomainError(ErrorCodes.CONFLICT, 'Rate not stored', 'The rate could not be stored; retry')
    const resource = rateResource(stored, base)
    return reply.code(created.length > 0 ? 201 : 200).header('Location', resource.href as string).send(resource)
  })

  registerMethodNotAllowed(app, '/appliedCustomerBillingRate', ['GET', 'POST'])
  registerMethodNotAllowed(app, '/appliedCustomerBillingRate/:id', ['GET'])
}
