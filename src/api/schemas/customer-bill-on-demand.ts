import { Type, type Static } from '@sinclair/typebox'
import { BillRefSchema, BillingAccountRefSchema, RelatedPartyRefSchema, extensibleProperties } from './common.ts'
import { stringEnum, withDescription, withoutRequired } from './schema-helpers.ts'

/** The `StateValues` enumeration of TMF678 v4 (states of an on-demand bill request), in the spec's order. */
export const ON_DEMAND_STATES = ['inProgress', 'rejected', 'done', 'terminatedWithError'] as const
export type OnDemandState = (typeof ON_DEMAND_STATES)[number]

export const CustomerBillOnDemandStateSchema = stringEnum(ON_DEMAND_STATES, { title: 'StateValues' })

const DESCRIPTION = 'This resource is used to manage the creation request of a customer bill in real-time (on demand).'

// NOTE: in v4 `relatedParty` is a single object here (an array on CustomerBill) and `lastUpdate` a plain
// string without the date-time format; both are kept as the spec has them.
const onDemandProperties = {
  description: Type.Optional(Type.String({ description: 'Additional data describing the customer bill on demand request' })),
  lastUpdate: Type.Optional(Type.String({ description: 'The last date time when the customer bill on demand has been updated' })),
  name: Type.Optional(Type.String({ description: 'Friendly name to identify the customer bill on demand request' })),
  billingAccount: Type.Optional(BillingAccountRefSchema),
  customerBill: Type.Optional(BillRefSchema),
  relatedParty: Type.Optional(RelatedPartyRefSchema),
  state: Type.Optional(CustomerBillOnDemandStateSchema),
  ...extensibleProperties
}

/** An on-demand bill request as the server returns it. Nothing is required, so any `fields` selection serializes. */
export const CustomerBillOnDemandSchema = withoutRequired(Type.Object({
  id: Type.Optional(Type.String({ description: 'Unique identifier of the customer bill on demand request given by the server' })),
  href: Type.Optional(Type.String({ description: 'Reference of the customer bill on demand request' })),
  ...onDemandProperties
}, { title: 'CustomerBillOnDemand', description: DESCRIPTION }))
export type CustomerBillOnDemand = Static<typeof CustomerBillOnDemandSchema>

export const CustomerBillOnDemandListSchema = Type.Array(CustomerBillOnDemandSchema)

/**
 * POST /customerBillOnDemand. Unknown properties are accepted (TMF sub-classing through `@type` /
 * `@schemaLocation` may add attributes) and not stored.
 * The server owns `state` (it tracks the request's progress) and `customerBill` (the bill the request
 * produces): both are accepted because the spec lists them, and a client-sent value is ignored.
 * "billingAccount or relatedParty, at least one" is checked by the domain, which answers with a TMF Error.
 */
export const CustomerBillOnDemandCreateSchema = Type.Object({
  ...onDemandProperties,
  customerBill: Type.Optional(withDescription(BillRefSchema, 'Set by the server to the bill it produces; ignored if sent.')),
  state: Type.Optional(withDescription(CustomerBillOnDemandStateSchema, 'Owned by the server; ignored if sent.'))
}, { title: 'CustomerBillOnDemand_Create', description: `${DESCRIPTION}\nSkipped properties: id,href`, additionalProperties: true })
export type CustomerBillOnDemandCreate = Static<typeof CustomerBillOnDemandCreateSchema>
