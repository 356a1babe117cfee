import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { MoneyInputSchema, MoneySchema, extensibleProperties, referredTypeProperty } from './common.ts'
import { stringEnum, withDescription, withoutRequired } from './schema-helpers.ts'

/**
 * tmfbill's payment entry point, shaped after TMF676 Payment Management v4.0.0 (definitions Payment,
 * Payment_Create, PaymentItem, AccountRef, ChannelRef, PaymentMethodRefOrValue), reduced to what settling
 * bills needs.
 *
 * One amount only: `totalAmount` ("Amount to be paid (including taxes)" in TMF676), which TMF676 also makes
 * the required amount of Payment_Create. TMF676's `amount` (net of taxes) and `taxAmount` are not read: a
 * payment settles bills whose amounts already include tax. Accepting both names would leave the server to
 * guess which one the client meant when they differ.
 */

const PAYMENT_DESCRIPTION = 'The Payment resource represents a performed payment. It contains both information about the payment and the payment method used to perform it.'
const EXTERNAL_ID_DESCRIPTION = 'tmfbill extension: the payment\'s identifier in the sending system (bank statement line, payment gateway transaction), its idempotency key. Sending a payment again with the same externalId does not record it twice.'
const TOTAL_AMOUNT_DESCRIPTION = 'Amount to be paid (including taxes): the amount received.'
const PAYMENT_DATE_DESCRIPTION = 'Date when the payment was performed'
const UNALLOCATED_AMOUNT_DESCRIPTION = 'tmfbill extension: the part of totalAmount no bill took (an overpayment), kept on the payment as a credit of the account (docs/decisions/0007-payments.md).'

export const AccountRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of the account' }),
  href: Type.Optional(Type.String({ description: 'Reference of the account' })),
  description: Type.Optional(Type.String({ description: 'Detailed description of the account' })),
  name: Type.Optional(Type.String({ description: 'Name of the account' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, { title: 'AccountRef', description: 'Account reference. A account may be a party account or a financial account.' })
export type AccountRef = Static<typeof AccountRefSchema>

export const ChannelRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of a related entity.' }),
  href: Type.Optional(Type.String({ description: 'Reference of the related entity.' })),
  name: Type.Optional(Type.String({ description: 'Name of the channel.' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'ChannelRef',
  description: 'The channel to which the resource reference to. e.g. channel for selling product offerings, channel for opening a trouble ticket etc..'
})
export type ChannelRef = Static<typeof ChannelRefSchema>

/** TMF676's PaymentMethodRefOrValue, limited to the reference part; other attributes are accepted and not kept. */
export const PaymentMethodRefOrValueSchema = Type.Object({
  id: Type.Optional(Type.String({ description: 'Unique Identifier within the server for the payment method.' })),
  href: Type.Optional(Type.String({ description: 'A resource URI pointing to the resource in the server that stores the detailed information.' })),
  description: Type.Optional(Type.String({ description: 'Text describing the contents of the payment method' })),
  name: Type.Optional(Type.String({ description: 'Friendly name assigned to the payment method' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'PaymentMethodRefOrValue',
  description: 'link to the resource that holds information about the payment mean used to complete the operation'
})
export type PaymentMethodRefOrValue = Static<typeof PaymentMethodRefOrValueSchema>

/** TMF676's PaymentItem.item is any EntityRef; tmfbill allocates payments to customer bills only. */
export const PaidBillRefSchema = Type.Object({
  id: Type.String({ description: 'Identifier of the CustomerBill this part of the payment settles' }),
  href: Type.Optional(Type.String({ description: 'Reference of the CustomerBill' })),
  name: Type.Optional(Type.String({ description: 'Name of the related entity.' })),
  ...extensibleProperties,
  '@referredType': Type.Optional(stringEnum(['CustomerBill'] as const, { description: 'Always CustomerBill' }))
}, { title: 'EntityRef', description: 'The CustomerBill a payment item is allocated to.' })
export type PaidBillRef = Static<typeof PaidBillRefSchema>

function paymentItem<M extends TSchema> (money: M) {
  return Type.Object({
    id: Type.Optional(Type.String({ description: 'Unique identifier of the payment Item' })),
    amount: Type.Optional(withDescription(money, 'The part of the payment allocated to this bill')),
    item: PaidBillRefSchema,
    ...extensibleProperties
  }, {
    title: 'PaymentItem',
    description: 'The paymentItem is the result of lettering process. It enables to assign automatically or manually part of incoming payment amount to a bill'
  })
}

export const PaymentItemSchema = paymentItem(MoneySchema)
export type PaymentItem = Static<typeof PaymentItemSchema>

/** As a client sends it: without `amount`, the payment engine decides how much goes to that bill. */
export const PaymentItemInputSchema = paymentItem(MoneyInputSchema)
export type PaymentItemInput = Static<typeof PaymentItemInputSchema>

/**
 * POST of a payment received for a billing account. `paymentDate` is a tmfbill addition to TMF676's
 * Payment_Create, where the server sets it: an importer knows the bank's value date, the server does not.
 * Unknown TMF676 attributes (authorizationCode, correlatorId, payer, amount, taxAmount…) are accepted and
 * not read.
 */
export const PaymentCreateSchema = Type.Object({
  description: Type.Optional(Type.String({ description: 'Text describing the contents of the payment' })),
  externalId: Type.Optional(Type.String({ minLength: 1, description: EXTERNAL_ID_DESCRIPTION })),
  name: Type.Optional(Type.String({ description: 'Screen name of the payment' })),
  paymentDate: Type.Optional(Type.String({ format: 'date-time', description: PAYMENT_DATE_DESCRIPTION })),
  account: withDescription(AccountRefSchema, 'The billing account the payment is received for'),
  channel: Type.Optional(ChannelRefSchema),
  paymentItem: Type.Optional(Type.Array(PaymentItemInputSchema, {
    description: 'How the payment is split over the account\'s bills; when absent, the payment engine allocates it.'
  })),
  paymentMethod: Type.Optional(PaymentMethodRefOrValueSchema),
  totalAmount: withDescription(MoneyInputSchema, TOTAL_AMOUNT_DESCRIPTION),
  ...extensibleProperties
}, {
  title: 'Payment_Create',
  description: `${PAYMENT_DESCRIPTION}\nSkipped properties: id,href,status,statusDate`,
  additionalProperties: true
})
export type PaymentCreate = Static<typeof PaymentCreateSchema>

/** A payment as the server returns it, with the amount allocated to each bill. Nothing is required (`fields`). */
export const PaymentSchema = withoutRequired(Type.Object({
  id: Type.Optional(Type.String({ description: 'Unique identifier of Payment' })),
  href: Type.Optional(Type.String({ description: 'Hypertext Reference of the Payment' })),
  description: Type.Optional(Type.String({ description: 'Text describing the contents of the payment' })),
  externalId: Type.Optional(Type.String({ description: EXTERNAL_ID_DESCRIPTION })),
  name: Type.Optional(Type.String({ description: 'Screen name of the payment' })),
  paymentDate: Type.Optional(Type.String({ format: 'date-time', description: PAYMENT_DATE_DESCRIPTION })),
  status: Type.Optional(Type.String({ description: 'Status of the payment' })),
  statusDate: Type.Optional(Type.String({ format: 'date-time', description: 'Date when the status was recorded' })),
  account: Type.Optional(AccountRefSchema),
  channel: Type.Optional(ChannelRefSchema),
  paymentItem: Type.Optional(Type.Array(PaymentItemSchema)),
  paymentMethod: Type.Optional(PaymentMethodRefOrValueSchema),
  totalAmount: Type.Optional(withDescription(MoneySchema, TOTAL_AMOUNT_DESCRIPTION)),
  unallocatedAmount: Type.Optional(withDescription(MoneySchema, UNALLOCATED_AMOUNT_DESCRIPTION)),
  ...extensibleProperties
}, { title: 'Payment', description: PAYMENT_DESCRIPTION }))
export type Payment = Static<typeof PaymentSchema>

export const PaymentListSchema = Type.Array(PaymentSchema)
