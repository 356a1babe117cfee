import { Type, type Static } from '@sinclair/typebox'
import {
  AppliedPaymentSchema, AttachmentRefOrValueSchema, BillingAccountRefSchema, FinancialAccountRefSchema, MoneySchema,
  PaymentMethodRefSchema, RelatedPartyRefSchema, TaxItemSchema, TimePeriodSchema, extensibleProperties
} from './common.ts'
import { stringEnum, withoutRequired } from './schema-helpers.ts'

/** The `stateValue` enumeration of TMF678 v4, in the spec's order. */
export const CUSTOMER_BILL_STATES = ['new', 'onHold', 'validated', 'sent', 'partiallyPaid', 'settled'] as const
export type CustomerBillState = (typeof CUSTOMER_BILL_STATES)[number]

export const CustomerBillStateSchema = stringEnum(CUSTOMER_BILL_STATES, { title: 'stateValue' })

const CUSTOMER_BILL_DESCRIPTION = 'The billing account receives all charges (recurring, one time and usage) of the offers and products assigned to it during order process. Periodically according to billing cycle specifications attached to the billing account or as a result of an event, a customer bill (aka invoice) is produced. This customer bill concerns different related parties which play a role on it : for example, a customer bill is produced by an operator, is sent to a bill receiver and has to be paid by a payer.\n' +
  'A payment method could be assigned to the customer bill to build the call of payment. Lettering process enables to assign automatically or manually incoming amount from payments to customer bills (payment items).\n' +
  'A tax item is created for each tax rate used in the customer bill.\n' +
  'The financial account represents a financial entity which records all customer’s accounting events : payment amount are recorded as credit and invoices amount are recorded as debit. It gives the customer overall balance (account balance).\n' +
  'The customer bill is linked to one or more documents that can be downloaded via a provided url.'

/** A bill as the server returns it (GET, PATCH, events). Nothing is required, so any `fields` selection serializes. */
export const CustomerBillSchema = withoutRequired(Type.Object({
  id: Type.Optional(Type.String({ description: 'Unique identifier of he bill' })),
  href: Type.Optional(Type.String({ description: 'Bill unique reference' })),
  billDate: Type.Optional(Type.String({ format: 'date-time', description: 'Bill date' })),
  billNo: Type.Optional(Type.String({
    description: 'Bill reference known by the customer or the party and displayed on the bill. Could be different from the id'
  })),
  category: Type.Optional(Type.String({
    description: 'Category of the bill produced : normal, duplicate, interim, last, trial customer or credit note for example'
  })),
  lastUpdate: Type.Optional(Type.String({ format: 'date-time', description: 'Date of bill last update' })),
  nextBillDate: Type.Optional(Type.String({
    format: 'date-time',
    description: '). Approximate date of  the next bill production given for information (only used for onCycle bill)'
  })),
  paymentDueDate: Type.Optional(Type.String({ format: 'date-time', description: 'Date at which the amount due should have been paid' })),
  runType: Type.Optional(Type.String({
    description: 'onCycle (a bill can be created as a result of a cycle run) or offCycle (a bill can be created as a result of other events such as customer request or account close)'
  })),
  amountDue: Type.Optional(MoneySchema),
  appliedPayment: Type.Optional(Type.Array(AppliedPaymentSchema)),
  billDocument: Type.Optional(Type.Array(AttachmentRefOrValueSchema)),
  billingAccount: Type.Optional(BillingAccountRefSchema),
  billingPeriod: Type.Optional(TimePeriodSchema),
  financialAccount: Type.Optional(FinancialAccountRefSchema),
  paymentMethod: Type.Optional(PaymentMethodRefSchema),
  relatedParty: Type.Optional(Type.Array(RelatedPartyRefSchema)),
  remainingAmount: Type.Optional(MoneySchema),
  state: Type.Optional(CustomerBillStateSchema),
  taxExcludedAmount: Type.Optional(MoneySchema),
  taxIncludedAmount: Type.Optional(MoneySchema),
  taxItem: Type.Optional(Type.Array(TaxItemSchema)),
  ...extensibleProperties
}, { title: 'CustomerBill', description: CUSTOMER_BILL_DESCRIPTION }))
export type CustomerBill = Static<typeof CustomerBillSchema>

export const CustomerBillListSchema = Type.Array(CustomerBillSchema)

/**
 * PATCH /customerBill/{id}. Only `state` is patchable (conformance profile); anything else is refused with 400
 * rather than ignored, so a client never believes it changed an amount. Whether the requested state is
 * reachable from the current one is the domain's decision, not the schema's.
 */
export const CustomerBillUpdateSchema = Type.Object({
  state: Type.Optional(CustomerBillStateSchema),
  ...extensibleProperties
}, {
  title: 'CustomerBill_Update',
  description: `${CUSTOMER_BILL_DESCRIPTION}\nSkipped properties: id,href,amountDue,appliedPayment,billDate,billDocument,billNo,billingAccount,billingPeriod,category,financialAccount,lastUpdate,nextBillDate,paymentDueDate,paymentMethod,relatedParty,remainingAmount,runType,taxExcludedAmount,taxIncludedAmount,taxItem`,
  additionalProperties: false
})
export type CustomerBillUpdate = Static<typeof CustomerBillUpdateSchema>
