import { Type, type Static, type TSchema } from '@sinclair/typebox'
import {
  AnySchema, BillRefSchema, BillingAccountRefSchema, MoneyInputSchema, MoneySchema, ProductRefSchema, TimePeriodSchema,
  extensibleProperties
} from './common.ts'
import { serverOwned, withDescription, withoutRequired } from './schema-helpers.ts'

const TAX_RATE_DESCRIPTION = 'The applied billing tax rate represents taxes applied billing rate it refers to. It is calculated during the billing process.'
const TAX_AMOUNT_DESCRIPTION = 'Tax amount expressed in the given currency'

function appliedBillingTaxRate<M extends TSchema> (money: M) {
  return Type.Object({
    taxCategory: Type.Optional(Type.String({ description: 'A categorization of the tax rate' })),
    taxRate: Type.Optional(Type.Number({ description: 'Applied rate' })),
    taxAmount: Type.Optional(withDescription(money, TAX_AMOUNT_DESCRIPTION)),
    ...extensibleProperties
  }, { title: 'AppliedBillingTaxRate', description: TAX_RATE_DESCRIPTION })
}

export const AppliedBillingTaxRateSchema = appliedBillingTaxRate(MoneySchema)
export type AppliedBillingTaxRate = Static<typeof AppliedBillingTaxRateSchema>

/** As a rating system sends it: a present `taxAmount` needs both unit and value. */
export const AppliedBillingTaxRateInputSchema = appliedBillingTaxRate(MoneyInputSchema)
export type AppliedBillingTaxRateInput = Static<typeof AppliedBillingTaxRateInputSchema>

export const AppliedBillingRateCharacteristicSchema = Type.Object({
  name: Type.String({ description: 'Name of the characteristic' }),
  valueType: Type.Optional(Type.String({ description: 'Data type of the value of the characteristic' })),
  value: withDescription(AnySchema, 'The value of the characteristic'),
  ...extensibleProperties
}, {
  title: 'AppliedBillingRateCharacteristic',
  description: 'An applied billing rate has dynamic characteristics according to the its type (characteristics are based on the service type, line of business or on others parameters)'
})
export type AppliedBillingRateCharacteristic = Static<typeof AppliedBillingRateCharacteristicSchema>

const DESCRIPTION = 'A customer bill displays applied billing rates created before or during the billing process.'
const DATE_DESCRIPTION = 'Creation date of the applied billing rate'
const RATE_DESCRIPTION = 'Additional data to be displayed on the bill for this customer applied billing rate'
const NAME_DESCRIPTION = 'Name of the customer applied billing rate'
const TYPE_DESCRIPTION = 'Type of the applied billing rate : appliedBillingCharge (any kind of charge except taxation charges : recurringCharge, oneTimeCharge, usageCharge),  appliedBillingCredit (any kind of credit : rebate or productAlteration) or appliedPenaltyCharge (penalty charges such as late fees, payment rejection fees,...)'
const PERIOD_COVERAGE_DESCRIPTION = 'periodCoverage for RecurringCharge (RC) indicating the RC coverage period dates for different purposes, such as RC proration, display on bill, GL reporting, etc. periodCoverage for OC start and end date will be the same'
const PRODUCT_DESCRIPTION = 'Usually this information should be provided by the PRODUCT, which implies that there is a valid reference to product. In this case, this property should be empty. For all other situations, a text or structured info could be provided using this property. Regular modelling would suggest tu use the reforvalue pattern for this case. It is not choosen here because it would generate declarational dependencies which would be hard to maintain.'
const EXTERNAL_ID_DESCRIPTION = 'tmfbill extension: the rating system\'s own identifier for this rate, its idempotency key. Sending a rate again with the same externalId does not create a second rate.'

/**
 * A rate as the server returns it. The spec requires `id`; it is optional here like everything else so that a
 * `fields` selection serializes (the server always includes it).
 */
export const AppliedCustomerBillingRateSchema = withoutRequired(Type.Object({
  id: Type.Optional(Type.String({ description: 'Unique identifier of the customer applied billing rate' })),
  href: Type.Optional(Type.String({ description: 'Reference of the customer applied billing rate' })),
  date: Type.Optional(Type.String({ format: 'date-time', description: DATE_DESCRIPTION })),
  description: Type.Optional(Type.String({ description: RATE_DESCRIPTION })),
  externalId: Type.Optional(Type.String({ description: EXTERNAL_ID_DESCRIPTION })),
  isBilled: Type.Optional(Type.Boolean({
    description: 'If isBilled = true then bill should be provided, if false then billingAccount should be provided'
  })),
  name: Type.Optional(Type.String({ description: NAME_DESCRIPTION })),
  type: Type.Optional(Type.String({ description: TYPE_DESCRIPTION })),
  appliedTax: Type.Optional(Type.Array(AppliedBillingTaxRateSchema)),
  bill: Type.Optional(BillRefSchema),
  billingAccount: Type.Optional(BillingAccountRefSchema),
  characteristic: Type.Optional(Type.Array(AppliedBillingRateCharacteristicSchema)),
  periodCoverage: Type.Optional(withDescription(TimePeriodSchema, PERIOD_COVERAGE_DESCRIPTION)),
  product: Type.Optional(withDescription(ProductRefSchema, PRODUCT_DESCRIPTION)),
  taxExcludedAmount: Type.Optional(MoneySchema),
  taxIncludedAmount: Type.Optional(MoneySchema),
  ...extensibleProperties
}, { title: 'AppliedCustomerBillingRate', description: DESCRIPTION }))
export type AppliedCustomerBillingRate = Static<typeof AppliedCustomerBillingRateSchema>

export const AppliedCustomerBillingRateListSchema = Type.Array(AppliedCustomerBillingRateSchema)

/**
 * tmfbill's rate-ingest extension (TMF678 v4 has no create operation for rates): what a rating system sends.
 * `id`, `href`, `isBilled` and `bill` belong to the server. They are declared as "must not be present" rather
 * than left to `additionalProperties: false`, because Ajv then names the offending attribute
 * ("body/isBilled must NOT be valid") where an additional-property error only says "body must NOT have
 * additional properties". Any other unknown attribute is refused too: a misspelt `taxExcludedAmount` must
 * not turn into a rate without an amount.
 */
export const AppliedCustomerBillingRateCreateSchema = Type.Object({
  id: Type.Optional(serverOwned('Unique identifier of the customer applied billing rate.')),
  href: Type.Optional(serverOwned('Reference of the customer applied billing rate.')),
  date: Type.String({ format: 'date-time', description: DATE_DESCRIPTION }),
  description: Type.Optional(Type.String({ description: RATE_DESCRIPTION })),
  externalId: Type.Optional(Type.String({ minLength: 1, description: EXTERNAL_ID_DESCRIPTION })),
  isBilled: Type.Optional(serverOwned('True once the rate is on a bill.')),
  name: Type.Optional(Type.String({ description: NAME_DESCRIPTION })),
  type: Type.Optional(Type.String({
    description: `${TYPE_DESCRIPTION}. Typical values: recurringCharge, oneTimeCharge, usageCharge.`
  })),
  appliedTax: Type.Optional(Type.Array(AppliedBillingTaxRateInputSchema)),
  bill: Type.Optional(serverOwned('The bill the rate ends up on.')),
  billingAccount: BillingAccountRefSchema,
  characteristic: Type.Optional(Type.Array(AppliedBillingRateCharacteristicSchema)),
  periodCoverage: Type.Optional(withDescription(TimePeriodSchema, PERIOD_COVERAGE_DESCRIPTION)),
  product: Type.Optional(withDescription(ProductRefSchema, PRODUCT_DESCRIPTION)),
  taxExcludedAmount: MoneyInputSchema,
  taxIncludedAmount: Type.Optional(MoneyInputSchema),
  ...extensibleProperties
}, {
  title: 'AppliedCustomerBillingRate_Create',
  description: `${DESCRIPTION}\ntmfbill extension: a rating system posts the rates it has rated; the next bill run bills them. Skipped properties: id,href,isBilled,bill`,
  additionalProperties: false
})
export type AppliedCustomerBillingRateCreate = Static<typeof AppliedCustomerBillingRateCreateSchema>
