import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { DomainError, ErrorCodes } from '../../domain/errors.ts'
import { applyPayment, PAYMENT_API_PATH } from '../../domain/payments.ts'
import type { PaymentRecord } from '../../domain/records.ts'
import { findPayment } from '../../store/payments.ts'
import { listPayments } from '../../store/list.ts'
import { parseListQuery, parseRetrieveQuery } from '../query/parse-query.ts'
import { projectFields } from '../query/fields.ts'
import type { RawQuery } from '../query/types.ts'
import { ErrorSchema, PaymentCreateSchema, PaymentListSchema, PaymentSchema } from '../schemas/index.ts'
import { registerMethodNotAllowed } from '../errors.ts'
import { sendPage } from '../list-reply.ts'

const errors = { 400: ErrorSchema, 404: ErrorSchema, 405: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema, 500: ErrorSchema }

export function paymentResource (p: PaymentRecord, baseUrl: string): Record<string, unknown> {
  return { id: p.id, href: `${baseUrl}${PAYMENT_API_PATH}/payment/${p.id}`, ...p.body }
}

/** TMF676-shaped payments entry point (tmfbill extension): how payments reach the bills. */
export async function paymentRoutes (app: FastifyInstance): Promise<void> {
  const { store, config, clock } = app.deps
  const base = config.publicUrl
  const ext = { tags: ['payment'], 'x-tmfbill-extension': true }

  app.post('/payment', {
    schema: { ...ext, operationId: 'createPayment', summary: 'Records a payment and applies it to bills (TMF676 shape)',
      description: 'Named bills (`paymentItem[].item.id`) get the amounts given (capped at what they still owe); without items the ' +
        'payment goes to the account\'s open bills, oldest first. What is left over stays on the payment as `unallocatedAmount`.',
      body: PaymentCreateSchema, response: { 200: PaymentSchema, 201: PaymentSchema, ...errors } } as Record<string, unknown>
  }, async (req, reply) => {
    const { payment, created } = await applyPayment(req.body as Record<string, unknown>, { store, clock, baseUrl: base })
    app.deps.workers?.wake('events')
    const resource = paymentResource(payment, base)
    return reply.code(created ? 201 : 200).header('Location', resource.href as string).send(resource)
  })

  app.get('/payment', {
    schema: { ...ext, operationId: 'listPayment', summary: 'List or find Payment objects',
      response: { 200: PaymentListSchema, 206: PaymentListSchema, ...errors } } as Record<string, unknown>
  }, async (req, reply) => {
    const query = parseListQuery(req.query as RawQuery, { maxLimit: config.maxPageSize, defaultLimit: config.maxPageSize })
    const page = await listPayments(store, query)
    return sendPage(req, reply, { ...page, items: page.items.map((p) => projectFields(paymentResource(p, base), query.fields)) }, base)
  })

  app.get('/payment/:id', {
    schema: { ...ext, operationId: 'retrievePayment', summary: 'Retrieves a Payment by ID',
      params: Type.Object({ id: Type.String() }), response: { 200: PaymentSchema, ...errors } } as Record<string, unknown>
  }, async (req) => {
    const { fields } = parseRetrieveQuery(req.query as RawQuery)
    const { id } = req.params as { id: string }
    const payment = await findPayment(store.db, id)
    if (!payment) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No Payment with id ${id}`)
    return projectFields(paymentResource(payment, base), fields)
  })

  registerMethodNotAllowed(app, '/payment', ['GET', 'POST'])
  registerMethodNotAllowed(app, '/payment/:id', ['GET'])
}
