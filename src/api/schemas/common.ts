import { Type, type Static } from '@sinclair/typebox'
import { withDescription } from './schema-helpers.ts'

/**
 * Sub-resources shared by the TMF678 v4 resources, written as the spec defines them (title = definition name,
 * description and property order from TMF678-CustomerBill-v4.0.0.swagger.json, the spec's `required` kept).
 * Request schemas use them as they are; response schemas pass through `withoutRequired`.
 */

const BASE_TYPE = 'When sub-classing, this defines the super-class'
const SCHEMA_LOCATION = 'A URI to a JSON-Schema file that defines additional attributes and relationships'
const TYPE = 'When sub-classing, this defines the sub-class entity name'
const REFERRED_TYPE = 'The actual type of the target instance when needed for disambiguation.'

/** `@baseType`, `@schemaLocation`, `@type`: carried by every TMF entity, in this order. */
export const extensibleProperties = {
  '@baseType': Type.Optional(Type.String({ description: BASE_TYPE })),
  '@schemaLocation': Type.Optional(Type.String({ format: 'uri', description: SCHEMA_LOCATION })),
  '@type': Type.Optional(Type.String({ description: TYPE }))
}

/** `@referredType`: carried by every reference, after the extensible properties. */
export const referredTypeProperty = {
  '@referredType': Type.Optional(Type.String({ description: REFERRED_TYPE }))
}

const MONEY_DESCRIPTION = 'A base / value business entity used to represent money'
const CURRENCY_DESCRIPTION = 'Currency (ISO4217 norm uses 3 letters to define the currency)'

/** Money as the server writes it: `value` is a JSON number, as in the spec. */
export const MoneySchema = Type.Object({
  unit: Type.Optional(Type.String({ description: CURRENCY_DESCRIPTION })),
  value: Type.Optional(Type.Number({ description: 'A positive floating point number' }))
}, { title: 'Money', description: MONEY_DESCRIPTION })
export type Money = Static<typeof MoneySchema>

/** A decimal amount written as a string: digits, an optional sign and fraction, no exponent. */
export const DECIMAL_STRING_PATTERN = '^-?\\d+(\\.\\d+)?$'

/**
 * Money as a client sends it. Both attributes are required (the conformance profile makes them mandatory
 * whenever a Money is present). `value` may be a JSON number or a decimal string, so that a sender whose
 * amounts are decimals never has to round-trip them through a binary float; exponents are refused because
 * '1e5' is far more often a spreadsheet accident than an intended amount.
 */
export const MoneyInputSchema = Type.Object({
  unit: Type.String({ pattern: '^[A-Z]{3}$', description: `${CURRENCY_DESCRIPTION}; three upper-case letters, e.g. EUR` }),
  value: Type.Union([Type.Number(), Type.String({ pattern: DECIMAL_STRING_PATTERN })], {
    description: 'The amount: a JSON number, or a decimal string such as "12.50" (sign allowed, no exponent)'
  })
}, { title: 'Money', description: MONEY_DESCRIPTION })
export type MoneyInput = Static<typeof MoneyInputSchema>

export const TimePeriodSchema = Type.Object({
  endDateTime: Type.Optional(Type.String({ format: 'date-time', description: 'End of the time period, using IETC-RFC-3339 format' })),
  startDateTime: Type.Optional(Type.String({
    format: 'date-time',
    description: 'Start of the time period, using IETC-RFC-3339 format. If you define a start, you must also define an end'
  }))
}, { title: 'TimePeriod', description: 'A period of time, either as a deadline (endDateTime only) a startDateTime only, or both' })
export type TimePeriod = Static<typeof TimePeriodSchema>

// NOTE: the spec gives `amount` a default of 1. It is left out on purpose: fast-json-stringify writes defaults
// for missing properties, so a document without a size would be reported as 1 unit large.
export const QuantitySchema = Type.Object({
  amount: Type.Optional(Type.Number({ description: 'Numeric value in a given unit' })),
  units: Type.Optional(Type.String({ description: 'Unit' }))
}, { title: 'Quantity', description: 'An amount in a given unit' })
export type Quantity = Static<typeof QuantitySchema>

export const AnySchema = Type.Unknown({ title: 'Any' })

export const TaxItemSchema = Type.Object({
  taxCategory: Type.Optional(Type.String({ description: 'Tax category' })),
  taxRate: Type.Optional(Type.Number({ description: 'Applied rate of the tax' })),
  taxAmount: Type.Optional(withDescription(MoneySchema, 'Amount of tax expressed in the given currency')),
  ...extensibleProperties
}, { title: 'TaxItem', description: 'A tax item is created for each tax rate and tax type used in the bill.' })
export type TaxItem = Static<typeof TaxItemSchema>

export const PaymentRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of a related entity.' }),
  href: Type.Optional(Type.String({ description: 'Reference of the related entity.' })),
  name: Type.Optional(Type.String({ description: 'A name for the payment' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'PaymentRef',
  description: 'If an immediate payment has been done at the product order submission, the payment information are captured and stored (as a reference) in the order.'
})
export type PaymentRef = Static<typeof PaymentRefSchema>

export const AppliedPaymentSchema = Type.Object({
  appliedAmount: Type.Optional(MoneySchema),
  payment: Type.Optional(PaymentRefSchema),
  ...extensibleProperties
}, {
  title: 'AppliedPayment',
  description: 'The applied payment is the result of lettering process. It enables to assign automatically or manually part of incoming payment amount to a bill.'
})
export type AppliedPayment = Static<typeof AppliedPaymentSchema>

export const PaymentMethodRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of the payment mean' }),
  href: Type.Optional(Type.String({ description: 'Reference of the payment mean' })),
  name: Type.Optional(Type.String({ description: 'Name of the payment mean' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'PaymentMethodRef',
  description: 'PaymentMethod reference. A payment method defines a specific mean of payment (e.g direct debit).'
})
export type PaymentMethodRef = Static<typeof PaymentMethodRefSchema>

export const RelatedPartyRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of a related party' }),
  href: Type.Optional(Type.String({ description: 'Reference of the related party, could be a party reference or a party role reference' })),
  name: Type.Optional(Type.String({ description: 'Name of the related party' })),
  role: Type.Optional(Type.String({ description: 'Role of the related party.' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'RelatedPartyRef',
  description: 'RelatedParty reference. A related party defines party or party role linked to a specific entity.'
})
export type RelatedPartyRef = Static<typeof RelatedPartyRefSchema>

export const BillingAccountRefSchema = Type.Object({
  id: Type.String({ description: 'Unique-Identifier for this <123>' }),
  href: Type.Optional(Type.String({ description: 'URL serving as reference for the <xyz> resource' })),
  name: Type.Optional(Type.String({ description: 'Name of the Billingaccount' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, { title: 'BillingAccountRef', description: 'Reference to the billing account in case of not billed item.' })
export type BillingAccountRef = Static<typeof BillingAccountRefSchema>

export const AccountBalanceSchema = Type.Object({
  balanceType: Type.String({
    description: 'Type of the balance : deposit balance, disputed balance, loyalty balance, receivable balance...'
  }),
  amount: withDescription(MoneySchema, 'Balance amount'),
  validFor: withDescription(TimePeriodSchema, 'Balance validity period'),
  ...extensibleProperties
}, { title: 'AccountBalance', description: 'Balances linked to the account' })
export type AccountBalance = Static<typeof AccountBalanceSchema>

export const FinancialAccountRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of the account' }),
  href: Type.Optional(Type.String({ description: 'Unique reference of the account' })),
  name: Type.Optional(Type.String({ description: 'Name of the account' })),
  accountBalance: Type.Optional(Type.Array(AccountBalanceSchema)),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'FinancialAccountRef',
  description: 'AccountReceivable reference. An account of money owed by a party to another entity in exchange for goods or services that have been delivered or used. An account receivable aggregates the amounts of one or more party accounts (billing or settlement) owned by a given party.'
})
export type FinancialAccountRef = Static<typeof FinancialAccountRefSchema>

export const BillRefSchema = Type.Object({
  id: Type.String({ description: 'Unique-Identifier for this <123>' }),
  href: Type.Optional(Type.String({ description: 'URL serving as reference for the <xyz> resource' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, { title: 'BillRef', description: 'Bill reference.' })
export type BillRef = Static<typeof BillRefSchema>

export const ProductRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of a related entity.' }),
  href: Type.Optional(Type.String({ description: 'Reference of the related entity.' })),
  name: Type.Optional(Type.String({ description: 'Name of the related entity.' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, { title: 'ProductRef' })
export type ProductRef = Static<typeof ProductRefSchema>

const attachmentValueProperties = {
  id: Type.Optional(Type.String({ description: 'Unique identifier for this particular attachment' })),
  href: Type.Optional(Type.String({ description: 'URI for this Attachment' })),
  attachmentType: Type.Optional(Type.String({ description: 'Attachment type such as video, picture' })),
  content: Type.Optional(Type.String({ description: 'The actual contents of the attachment object, if embedded, encoded as base64' })),
  description: Type.Optional(Type.String({ description: 'A narrative text describing the content of the attachment' })),
  mimeType: Type.Optional(Type.String({ description: 'Attachment mime type such as extension file for video, picture and document' })),
  name: Type.Optional(Type.String({ description: 'The name of the attachment' })),
  url: Type.Optional(Type.String({ description: 'Uniform Resource Locator, is a web page address (a subset of URI)' })),
  size: Type.Optional(withDescription(QuantitySchema, 'The size of the attachment.')),
  validFor: Type.Optional(withDescription(TimePeriodSchema, 'The period of time for which the attachment is valid')),
  ...extensibleProperties
}

export const AttachmentRefOrValueSchema = Type.Object({
  ...attachmentValueProperties,
  ...referredTypeProperty
}, {
  title: 'AttachmentRefOrValue',
  description: 'An attachment by value or by reference. For AttachmentRefOrValue, the attribute type,schemaLocation and referredType are related to the contained entity and not to AttchmentRefOrValue itself'
})
export type AttachmentRefOrValue = Static<typeof AttachmentRefOrValueSchema>

// Attachment, AttachmentRef, Characteristic, EntityRef and Reference are defined by TMF678 v4 but used by no
// resource or operation; they are kept so that every spec definition has a counterpart.
export const AttachmentSchema = Type.Object(attachmentValueProperties, {
  title: 'Attachment',
  description: 'Complements the description of an element (for instance a product) through video, pictures...'
})
export type Attachment = Static<typeof AttachmentSchema>

export const AttachmentRefSchema = Type.Object({
  id: Type.String({ description: 'Unique-Identifier for this attachment' }),
  href: Type.Optional(Type.String({ description: 'URL serving as reference for the attachment resource' })),
  description: Type.Optional(Type.String({ description: 'A narrative text describing the content of the attachment' })),
  name: Type.Optional(Type.String({ description: 'Name of the related entity.' })),
  url: Type.Optional(Type.String({ description: 'Link to the attachment media/content' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, {
  title: 'AttachmentRef',
  description: 'Attachment reference. An attachment complements the description of an element (for instance a product) through video, pictures'
})
export type AttachmentRef = Static<typeof AttachmentRefSchema>

export const CharacteristicSchema = Type.Object({
  name: Type.String({ description: 'Name of the characteristic' }),
  valueType: Type.Optional(Type.String({ description: 'Data type of the value of the characteristic' })),
  value: withDescription(AnySchema, 'The value of the characteristic'),
  ...extensibleProperties
}, {
  title: 'Characteristic',
  description: 'Describes a given characteristic of an object or entity through a name/value pair.'
})
export type Characteristic = Static<typeof CharacteristicSchema>

export const EntityRefSchema = Type.Object({
  id: Type.String({ description: 'Unique identifier of a related entity.' }),
  href: Type.Optional(Type.String({ description: 'Reference of the related entity.' })),
  name: Type.Optional(Type.String({ description: 'Name of the related entity.' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, { title: 'EntityRef', description: 'Entity reference schema to be use for all entityRef class.' })
export type EntityRef = Static<typeof EntityRefSchema>

export const ReferenceSchema = Type.Object({
  id: Type.Optional(Type.String({ description: 'Unique-Identifier for this <123>' })),
  href: Type.Optional(Type.String({ description: 'URL serving as reference for the <xyz> resource' })),
  ...extensibleProperties,
  ...referredTypeProperty
}, { title: 'Reference', description: 'General Referencing Resource Schema' })
export type Reference = Static<typeof ReferenceSchema>

/** The body of every 4xx/5xx answer. `code` and `status` are strings, as in the spec. */
export const ErrorSchema = Type.Object({
  code: Type.String({ description: 'Application relevant detail, defined in the API or a common list.' }),
  reason: Type.String({ description: 'Explanation of the reason for the error which can be shown to a client user.' }),
  message: Type.Optional(Type.String({
    description: 'More details and corrective actions related to the error which can be shown to a client user.'
  })),
  status: Type.Optional(Type.String({ description: 'HTTP Error code extension' })),
  referenceError: Type.Optional(Type.String({ format: 'uri', description: 'URI of documentation describing the error.' })),
  '@baseType': Type.Optional(Type.String({ description: 'When sub-classing, this defines the super-class.' })),
  '@schemaLocation': Type.Optional(Type.String({ format: 'uri', description: SCHEMA_LOCATION })),
  '@type': Type.Optional(Type.String({ description: 'When sub-classing, this defines the sub-class entity name.' }))
}, {
  title: 'Error',
  description: 'Used when an API throws an Error, typically with a HTTP error response-code (3xx, 4xx, 5xx)'
})
export type ErrorBody = Static<typeof ErrorSchema>
