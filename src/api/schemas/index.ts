import type { TSchema } from '@sinclair/typebox'
import {
  AccountBalanceSchema, AnySchema, AppliedPaymentSchema, AttachmentRefOrValueSchema, AttachmentRefSchema,
  AttachmentSchema, BillRefSchema, BillingAccountRefSchema, CharacteristicSchema, EntityRefSchema, ErrorSchema,
  FinancialAccountRefSchema, MoneySchema, PaymentMethodRefSchema, PaymentRefSchema, ProductRefSchema,
  QuantitySchema, ReferenceSchema, RelatedPartyRefSchema, TaxItemSchema, TimePeriodSchema
} from './common.ts'
import { CustomerBillSchema, CustomerBillStateSchema, CustomerBillUpdateSchema } from './customer-bill.ts'
import {
  CustomerBillOnDemandCreateSchema, CustomerBillOnDemandSchema, CustomerBillOnDemandStateSchema
} from './customer-bill-on-demand.ts'
import {
  AppliedBillingRateCharacteristicSchema, AppliedBillingTaxRateSchema, AppliedCustomerBillingRateSchema
} from './applied-customer-billing-rate.ts'
import { EventSubscriptionInputSchema, EventSubscriptionSchema } from './hub.ts'

export * from './schema-helpers.ts'
export * from './common.ts'
export * from './customer-bill.ts'
export * from './customer-bill-on-demand.ts'
export * from './applied-customer-billing-rate.ts'
export * from './hub.ts'
export * from './payment.ts'

/**
 * Our counterpart of each of the 32 definitions of TMF678-CustomerBill-v4.0.0.swagger.json, by spec name.
 * Resources map to their response schemas (which require nothing); `EventSubscriptionInput` maps to the
 * input schema, which adds tmfbill's `secret`.
 */
export const TMF678_DEFINITIONS: Readonly<Record<string, TSchema>> = Object.freeze({
  AccountBalance: AccountBalanceSchema,
  Any: AnySchema,
  AppliedBillingRateCharacteristic: AppliedBillingRateCharacteristicSchema,
  AppliedBillingTaxRate: AppliedBillingTaxRateSchema,
  AppliedCustomerBillingRate: AppliedCustomerBillingRateSchema,
  AppliedPayment: AppliedPaymentSchema,
  Attachment: AttachmentSchema,
  AttachmentRef: AttachmentRefSchema,
  AttachmentRefOrValue: AttachmentRefOrValueSchema,
  BillRef: BillRefSchema,
  BillingAccountRef: BillingAccountRefSchema,
  Characteristic: CharacteristicSchema,
  CustomerBill: CustomerBillSchema,
  CustomerBill_Update: CustomerBillUpdateSchema,
  CustomerBillOnDemand: CustomerBillOnDemandSchema,
  CustomerBillOnDemand_Create: CustomerBillOnDemandCreateSchema,
  EntityRef: EntityRefSchema,
  FinancialAccountRef: FinancialAccountRefSchema,
  Money: MoneySchema,
  PaymentMethodRef: PaymentMethodRefSchema,
  PaymentRef: PaymentRefSchema,
  ProductRef: ProductRefSchema,
  Quantity: QuantitySchema,
  Reference: ReferenceSchema,
  RelatedPartyRef: RelatedPartyRefSchema,
  StateValues: CustomerBillOnDemandStateSchema,
  TaxItem: TaxItemSchema,
  TimePeriod: TimePeriodSchema,
  stateValue: CustomerBillStateSchema,
  EventSubscription: EventSubscriptionSchema,
  EventSubscriptionInput: EventSubscriptionInputSchema,
  Error: ErrorSchema
})
