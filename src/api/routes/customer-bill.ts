import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { DomainError, ErrorCodes } from '../../domain/errors.ts'
import { billResource } from '../../domain/resources.ts'
import { changeBill } from '../../domain/customer-bills.ts'
import { readBillDocument } from '../../documents/bill-documents.ts'
import { findBill } from '../../store/bills.ts'
import { listCustomerBills } from '../../store/list.ts'
import { applyMergePatch, applyJsonPatch } from '../patch.ts'
import { parseListQuery, parseRetrieveQuery } from '../query/parse-query.ts'
import { fieldProjection, projectFields } from '../query/fields.ts'
import type { RawQuery } from '../query/types.ts'
import { CustomerBillListSchema, CustomerBillSchema, CustomerBillUpdateSchema, ErrorSchema } from '../schemas/index.ts'
import { registerMethodNotAllowed } from '../errors.ts'
import { registerPatchMediaTypes } from '../content-types.ts'
import { sendPage } from '../list-reply.ts'

const IdParams = Type.Object({ id: Type.String() })
const errors = { 400: ErrorSchema, 404: ErrorSchema, 405: ErrorSchema, 409: ErrorSchema, 415: ErrorSchema, 500: ErrorSchema }

export async function customerBillRoutes (app: FastifyInstance): Promise<void> {
  const { store, config, clock } = app.deps
  const base = config.publicUrl
  registerPatchMediaTypes(app)

  app.get('/customerBill', {
    schema: { tags: ['customerBill'], operationId: 'listCustomerBill', summary: 'List or find CustomerBill objects',
      response: { 200: CustomerBillListSchema, 206: CustomerBillListSchema, ...errors } }
  }, async (req, reply) => {
    const query = parseListQuery(req.query as RawQuery, { maxLimit: config.maxPageSize, defaultLimit: config.maxPageSize })
    const page = await listCustomerBills(store, query)
    const project = fieldProjection(query.fields)
    const items = page.items.map((b) => project(billResource(b, base)))
    return sendPage(req, reply, { ...page, items }, base)
  })

  app.get('/customerBill/:id', {
    schema: { tags: ['customerBill'], operationId: 'retrieveCustomerBill', summary: 'Retrieves a CustomerBill by ID',
      params: IdParams, response: { 200: CustomerBillSchema, ...errors } }
  }, async (req) => {
    const { fields } = parseRetrieveQuery(req.query as RawQuery)
    const { id } = req.params as { id: string }
    const bill = await findBill(store.db, id)
    if (!bill) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No CustomerBill with id ${id}`)
    return projectFields(billResource(bill, base), fields)
  })

  app.patch('/customerBill/:id', {
    schema: { tags: ['customerBill'], operationId: 'patchCustomerBill',
      summary: 'Updates partially a CustomerBill (merge patch; JSON patch also accepted)',
      description: 'Only `state` (and the @-attributes) can change; see the lifecycle table in docs/decisions/0005-bill-lifecycle.md.',
      params: IdParams, body: CustomerBillUpdateSchema, response: { 200: CustomerBillSchema, ...errors } },
    // The body schema validates the merge-patch document; a JSON Patch is checked after it is applied.
    preValidation: async (req) => {
      if ((req.headers['content-type'] ?? '').startsWith('application/json-patch+json')) {
        const current = await findBill(store.db, (req.params as { id: string }).id)
        if (!current) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No CustomerBill with id ${(req.params as { id: string }).id}`)
        req.body = applyJsonPatch(billResource(current, base), req.body)
      } else {
        req.body = applyMergePatch(req.body)
      }
    }
  }, async (req) => {
    const { id } = req.params as { id: string }
    const updated = await changeBill(id, req.body as { state?: string }, { store, clock, baseUrl: base })
    app.deps.workers?.wake('events')
    return billResource(updated, base)
  })

  app.get('/customerBill/:id/billDocument/:documentId', {
    schema: { tags: ['customerBill'], operationId: 'downloadCustomerBillDocument', summary: 'Downloads a bill document (tmfbill extension)',
      params: Type.Object({ id: Type.String(), documentId: Type.String() }),
      response: { 404: ErrorSchema }, 'x-tmfbill-extension': true } as Record<string, unknown>
  }, async (req, reply) => {
    const { id, documentId } = req.params as { id: string; documentId: string }
    const doc = await readBillDocument(id, documentId, { store, issuerName: config.issuerName, now: () => clock.now() })
    return reply.type(doc.mimeType).header('Content-Disposition', `inline; filename="${doc.name}"`).send(doc.content)
  })

  registerMethodNotAllowed(app, '/customerBill', ['GET'])
  registerMethodNotAllowed(app, '/customerBill/:id', ['GET', 'PATCH'])
  registerMethodNotAllowed(app, '/customerBill/:id/billDocument/:documentId', ['GET'])
}
