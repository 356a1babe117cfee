/**
 * What the store hands to the domain. `body` is the stored TMF representation without the attributes that
 * live in their own columns (those are merged back by `src/domain/resources.ts`).
 */
export interface RateRecord {
  id: string
  externalId: string | null
  billingAccountId: string
  isBilled: boolean
  billId: string | null
  currency: string
  taxExcludedAmount: string
  date: string
  type: string | null
  productId: string | null
  createdAt: string
  body: Record<string, unknown>
}

export interface BillRecord {
  id: string
  billNo: string
  billingAccountId: string
  state: string
  runType: string
  category: string
  currency: string
  billDate: string
  periodStart: string
  periodEnd: string
  paymentDueDate: string
  amountDue: string
  remainingAmount: string
  onDemandId: string | null
  lastUpdate: string
  body: Record<string, unknown>
}

export interface OnDemandRecord {
  id: string
  billingAccountId: string | null
  state: string
  customerBillId: string | null
  createdAt: string
  lastUpdate: string
  body: Record<string, unknown>
}

export interface AccountRecord {
  id: string
  name: string | null
  billCycleDay: number
  paymentTermsDays: number
  createdAt: string
}

export interface PaymentRecord {
  id: string
  externalId: string | null
  billingAccountId: string
  currency: string
  amount: string
  unallocatedAmount: string
  createdAt: string
  body: Record<string, unknown>
}
