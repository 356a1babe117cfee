import { Type, type Static } from '@sinclair/typebox'

const DESCRIPTION = 'Sets the communication endpoint address the service instance must use to deliver notification information'
const CALLBACK_DESCRIPTION = 'The callback being registered.'
const QUERY_DESCRIPTION = 'additional data to be passed'

/**
 * A registered listener as POST /hub returns it. Unlike the resources it keeps the spec's `required`
 * (`id`, `callback`): it has no `fields` selection, so it is always written whole. The signing secret is
 * deliberately not a property, so the serializer can never write it out.
 */
export const EventSubscriptionSchema = Type.Object({
  id: Type.String({ description: 'Id of the listener' }),
  callback: Type.String({ description: CALLBACK_DESCRIPTION }),
  query: Type.Optional(Type.String({ description: QUERY_DESCRIPTION }))
}, { title: 'EventSubscription', description: DESCRIPTION })
export type EventSubscription = Static<typeof EventSubscriptionSchema>

/**
 * POST /hub. `callback` must be an absolute URI (whether its host may be called is checked by the domain).
 * Unknown properties are refused: a misspelt `secret` would otherwise register a listener whose events are
 * silently unsigned.
 */
export const EventSubscriptionInputSchema = Type.Object({
  callback: Type.String({ format: 'uri', description: `${CALLBACK_DESCRIPTION} An absolute URI.` }),
  query: Type.Optional(Type.String({
    description: `${QUERY_DESCRIPTION}. Used as an event filter, e.g. eventType=CustomerBillStateChangeEvent.`
  })),
  secret: Type.Optional(Type.String({
    minLength: 16,
    description: 'tmfbill extension: a shared secret (16 characters or more) used to sign every notification sent to this callback. It is stored but never returned.'
  }))
}, { title: 'EventSubscriptionInput', description: DESCRIPTION, additionalProperties: false })
export type EventSubscriptionInput = Static<typeof EventSubscriptionInputSchema>
