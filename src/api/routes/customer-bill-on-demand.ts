import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { DomainError, ErrorCodes } from '../../domain/errors.ts'
import { onDemandResource } from '../../domain/resources.ts'
import { createOnDemandRequest } from '../../domain/on-demand.ts'
import { findOnDemand } from '../../store/on-demand.ts'
import { listOnDemand } from '../../store/list.ts'
import { billingOptions } from '../../context.ts'
import { parseListQuery, parseRetrieveQuery } from '../query/parse-query.ts'
import { projectFields } from '../query/fields.ts'
import type { RawQuery } from '../query/types.ts'
import { CustomerBillOnDemandCreateSchema, CustomerBillOnDemandListSchema, CustomerBillOnDemandSchema, ErrorSchema } from '../schemas/index.ts'
import { registerMethodNotAllowed } from '../errors.ts'
import { sendPage } from '../list-reply.ts'

const errors = { 400: ErrorSchema, 404: ErrorSchema, 405: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema, 500: ErrorSchema }

export async function onDemandRoutes (app: FastifyInstance): Promise<void> {
  const { store, config, clock } = app.deps
  const base = config.publicUrl
  const deps = { store, clock, billing: billingOptions(config, store), defaultCycleDay: config.billCycleDay }

  app.get('/customerBillOnDemand', {
    schema: { tags: ['customerBillOnDemand'], operationId: 'listCustomerBillOnDemand', summary: 'List or find CustomerBillOnDemand objects',
      response: { 200: CustomerBillOnDemandListSchema, 206: CustomerBillOnDemandListSchema, ...errors } }
  }, async (req, reply) => {
    const query = parseListQuery(req.query as RawQuery, { maxLimit: config.maxPageSize, defaultLimit: config.maxPageSize })
    const page = await listOnDemand(store, query)
    return sendPage(req, reply, { ...page, items: page.items.map((r) => projectFields(onDemandResource(r, base), query.fields)) }, base)
  })

  app.get('/customerBillOnDemand/:id', {
    schema: { tags: ['customerBillOnDemand'], operationId: 'retrieveCustomerBillOnDemand', summary: 'Retrieves a CustomerBillOnDemand by ID',
      params: Type.Object({ id: Type.String() }), response: { 200: CustomerBillOnDemandSchema, ...errors } }
  }, async (req) => {
    const { fields } = parseRetrieveQuery(req.query as RawQuery)
    const { id } = req.params as { id: string }
    const record = await findOnDemand(store.db, id)
    if (!record) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No CustomerBillOnDemand with id ${id}`)
    return projectFields(onDemandResource(record, base), fields)
  })

  app.post('/customerBillOnDemand', {
    schema: { tags: ['customerBillOnDemand'], operationId: 'createCustomerBillOnDemand',
      summary: 'Creates a CustomerBillOnDemand: the account\'s unbilled rates are billed asynchronously',
      body: CustomerBillOnDemandCreateSchema, response: { 201: CustomerBillOnDemandSchema, ...errors } }
  }, async (req, reply) => {
    const record = await createOnDemandRequest(req.body as Record<string, unknown>, deps)
    app.deps.workers?.wake('onDemand')
    app.deps.workers?.wake('events')
    const resource = onDemandResource(record, base)
    return reply.code(201).header('Location', resource.href as string).send(resource)
  })

  registerMethodNotAllowed(app, '/customerBillOnDemand', ['GET', 'POST'])
  registerMethodNotAllowed(app, '/customerBillOnDemand/:id', ['GET'])
}
