import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { DomainError, ErrorCodes } from '../../domain/errors.ts'
import { API_PATH } from '../../domain/resources.ts'
import { getSubscription, type HubSubscription, listAllSubscriptions, registerSubscription, unregisterSubscription } from '../../events/hub.ts'
import { countMatchingDeliveries, type DeliveryFilter, type EventDelivery, listDeliveries, parseDeliveryStatus, retryDeliveries } from '../../events/operations.ts'
import { registerMethodNotAllowed } from '../errors.ts'
import { sendPage } from '../list-reply.ts'
import { parseLimit, parseOffset } from '../query/paging.ts'
import { singleValue } from '../query/attribute-path.ts'
import { ErrorSchema, EventSubscriptionInputSchema, EventSubscriptionSchema, type EventSubscriptionInput } from '../schemas/index.ts'

/** The spec's EventSubscription plus `href` and `@type`, which every tmfbill resource carries. */
const SubscriptionSchema = Type.Object({
  ...EventSubscriptionSchema.properties,
  href: Type.Optional(Type.String({ description: 'tmfbill extension: where to GET or DELETE this subscription' })),
  '@type': Type.Optional(Type.String({ description: 'Always EventSubscription' }))
}, { title: 'EventSubscription', description: EventSubscriptionSchema.description ?? 'A registered listener' })

const DeliverySchema = Type.Object({
  id: Type.String(),
  href: Type.String(),
  eventId: Type.String({ description: 'Also sent as the X-Event-Id header: the same on every attempt' }),
  eventType: Type.String(),
  subscriptionId: Type.String(),
  status: Type.String({ description: 'pending, delivered, dead or cancelled' }),
  attempts: Type.Integer({ description: 'Attempts made so far' }),
  nextAttemptAt: Type.Optional(Type.String({ format: 'date-time' })),
  lastAttemptAt: Type.Optional(Type.String({ format: 'date-time' })),
  lastStatus: Type.Optional(Type.Integer({ description: 'HTTP status of the last attempt, absent when it got no response' })),
  lastError: Type.Optional(Type.String()),
  deliveredAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  '@type': Type.String()
}, { title: 'EventDelivery', description: 'tmfbill extension: one event sent (or to be sent) to one subscription' })

const HubParams = Type.Object({ id: Type.String() })
const DeliveryParams = Type.Object({ id: Type.String(), deliveryId: Type.String() })
const errors = { 400: ErrorSchema, 404: ErrorSchema, 405: ErrorSchema, 409: ErrorSchema, 415: ErrorSchema, 500: ErrorSchema }
const extension = { 'x-tmfbill-extension': true }

/**
 * TMF678 hub (register and unregister a listener) and tmfbill's extensions: reading subscriptions, and the
 * operators' view of their deliveries with a retry (docs/events.md).
 */
export async function hubRoutes (app: FastifyInstance): Promise<void> {
  const { store, config, clock } = app.deps
  const hubUrl = `${config.publicUrl}${API_PATH}/hub`

  const subscriptionResource = (s: HubSubscription) => ({
    id: s.id,
    href: `${hubUrl}/${s.id}`,
    callback: s.callback,
    ...(s.query !== null ? { query: s.query } : {}),
    '@type': 'EventSubscription'
  })
  const deliveryResource = (d: EventDelivery) => ({
    id: d.id,
    href: `${hubUrl}/${d.subscriptionId}/delivery/${d.id}`,
    eventId: d.eventId,
    eventType: d.eventType,
    subscriptionId: d.subscriptionId,
    status: d.status,
    attempts: d.attempts,
    ...(d.nextAttemptAt !== null ? { nextAttemptAt: d.nextAttemptAt } : {}),
    ...(d.lastAttemptAt !== null ? { lastAttemptAt: d.lastAttemptAt } : {}),
    ...(d.lastStatus !== null ? { lastStatus: d.lastStatus } : {}),
    ...(d.lastError !== null ? { lastError: d.lastError } : {}),
    ...(d.deliveredAt !== null ? { deliveredAt: d.deliveredAt } : {}),
    createdAt: d.createdAt,
    '@type': 'EventDelivery'
  })
  const findDelivery = async (subscriptionId: string, deliveryId: string): Promise<EventDelivery> => {
    const [found] = await listDeliveries(store, { subscriptionId, deliveryId })
    if (!found) throw new DomainError(ErrorCodes.NOT_FOUND, 'Delivery not found', `No delivery '${deliveryId}' for hub subscription '${subscriptionId}'`)
    return found
  }

  app.post('/hub', {
    schema: { tags: ['events subscription'], operationId: 'registerListener', summary: 'Register a listener',
      description: 'Registers a callback for the TMF678 notifications; `query` filters them (TMF630), `secret` (tmfbill extension) makes every notification signed.',
      body: EventSubscriptionInputSchema, response: { 201: SubscriptionSchema, ...errors } }
  }, async (req, reply) => {
    const subscription = await registerSubscription(req.body as EventSubscriptionInput,
      { store, clock, allowPrivateCallbacks: config.events.allowPrivateCallbacks })
    req.log.info({ subscriptionId: subscription.id }, 'hub subscription registered')
    return reply.code(201).header('Location', `${hubUrl}/${subscription.id}`).send(subscriptionResource(subscription))
  })

  app.delete('/hub/:id', {
    schema: { tags: ['events subscription'], operationId: 'unregisterListener', summary: 'Unregister a listener',
      params: HubParams, response: { 204: Type.Null({ description: 'Deleted' }), ...errors } }
  }, async (req, reply) => {
    const { id } = req.params as { id: string }
    await unregisterSubscription(id, { store, clock })
    req.log.info({ subscriptionId: id }, 'hub subscription deleted')
    return reply.code(204).send()
  })

  app.get('/hub', {
    schema: { tags: ['events subscription'], operationId: 'listListener', summary: 'List registered listeners (tmfbill extension)',
      response: { 200: Type.Array(SubscriptionSchema), ...errors }, ...extension } as Record<string, unknown>
  }, async () => (await listAllSubscriptions({ store })).map(subscriptionResource))

  app.get('/hub/:id', {
    schema: { tags: ['events subscription'], operationId: 'retrieveListener', summary: 'Retrieve a registered listener (tmfbill extension)',
      params: HubParams, response: { 200: SubscriptionSchema, ...errors }, ...extension } as Record<string, unknown>
  }, async (req) => subscriptionResource(await getSubscription((req.params as { id: string }).id, { store })))

  app.get('/hub/:id/delivery', {
    schema: { tags: ['events subscription'], operationId: 'listEventDelivery',
      summary: 'List the deliveries of a listener (tmfbill extension)',
      description: '`status` = pending, delivered, dead, cancelled, or failed (retrying or dead); `offset` and `limit` page.',
      params: HubParams, response: { 200: Type.Array(DeliverySchema), 206: Type.Array(DeliverySchema), ...errors }, ...extension } as Record<string, unknown>
  }, async (req, reply) => {
    const { id } = req.params as { id: string }
    await getSubscription(id, { store })
    const raw = req.query as Record<string, string | string[] | undefined>
    const status = singleValue(raw.status, 'status')
    const filter: DeliveryFilter = { subscriptionId: id, ...(status !== undefined ? { status: parseDeliveryStatus(status) } : {}) }
    const offset = parseOffset(raw.offset)
    const limit = parseLimit(raw.limit, { maxLimit: config.maxPageSize, defaultLimit: config.maxPageSize }) ?? config.maxPageSize
    const [items, total] = await Promise.all([listDeliveries(store, { ...filter, offset, limit }), countMatchingDeliveries(store, filter)])
    return sendPage(req, reply, { items: items.map(deliveryResource), total, offset, limit }, config.publicUrl)
  })

  app.get('/hub/:id/delivery/:deliveryId', {
    schema: { tags: ['events subscription'], operationId: 'retrieveEventDelivery', summary: 'Retrieve a delivery (tmfbill extension)',
      params: DeliveryParams, response: { 200: DeliverySchema, ...errors }, ...extension } as Record<string, unknown>
  }, async (req) => {
    const { id, deliveryId } = req.params as { id: string; deliveryId: string }
    return deliveryResource(await findDelivery(id, deliveryId))
  })

  app.post('/hub/:id/delivery/retry', {
    schema: { tags: ['events subscription'], operationId: 'retryDeadEventDeliveries',
      summary: 'Retry every dead delivery of a listener (tmfbill extension)',
      description: 'Each one is due at once with a fresh retry schedule. Answers with how many were reset.',
      params: HubParams, response: { 200: Type.Object({ retried: Type.Integer() }), ...errors }, ...extension } as Record<string, unknown>
  }, async (req) => {
    const { id } = req.params as { id: string }
    await getSubscription(id, { store })
    const retried = await retryDeliveries(store, 'allDead', { subscriptionId: id, now: clock.now() })
    req.log.info({ subscriptionId: id, count: retried.length }, 'dead deliveries retried')
    app.deps.workers?.wake('events')
    return { retried: retried.length }
  })

  app.post('/hub/:id/delivery/:deliveryId/retry', {
    schema: { tags: ['events subscription'], operationId: 'retryEventDelivery',
      summary: 'Retry one dead or retrying delivery now (tmfbill extension)',
      description: '409 when the delivery was delivered, was cancelled, or is being sent at this moment.',
      params: DeliveryParams, response: { 200: DeliverySchema, ...errors }, ...extension } as Record<string, unknown>
  }, async (req) => {
    const { id, deliveryId } = req.params as { id: string; deliveryId: string }
    const before = await findDelivery(id, deliveryId)
    const [reset] = await retryDeliveries(store, [deliveryId], { now: clock.now() })
    if (reset === undefined) {
      throw new DomainError(ErrorCodes.CONFLICT, 'Delivery cannot be retried',
        `Delivery '${deliveryId}' is ${before.status === 'pending' ? 'being sent right now' : before.status}`)
    }
    req.log.info({ subscriptionId: id, deliveryId }, 'delivery retried')
    app.deps.workers?.wake('events')
    return deliveryResource(await findDelivery(id, deliveryId))
  })

  registerMethodNotAllowed(app, '/hub', ['GET', 'POST'])
  registerMethodNotAllowed(app, '/hub/:id', ['GET', 'DELETE'])
  registerMethodNotAllowed(app, '/hub/:id/delivery', ['GET'])
  registerMethodNotAllowed(app, '/hub/:id/delivery/:deliveryId', ['GET'])
  registerMethodNotAllowed(app, '/hub/:id/delivery/retry', ['POST'])
  registerMethodNotAllowed(app, '/hub/:id/delivery/:deliveryId/retry', ['POST'])
}
