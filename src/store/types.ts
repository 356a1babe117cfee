import type { Generated } from 'kysely'

/**
 * Row shapes as the database holds them. These `…Row` types stay inside src/store: repositories convert
 * them to domain records. Money is decimal text; timestamps are ISO-8601 strings; booleans 0/1.
 */
export interface BillingAccountRow {
  id: string
  name: string | null
  bill_cycle_day: number
  payment_terms_days: number
  created_at: string
}

export interface RateRow {
  id: string
  external_id: string | null
  billing_account_id: string
  is_billed: number
  bill_id: string | null
  currency: string
  tax_excluded_amount: string
  date: string
  type: string | null
  product_id: string | null
  created_at: string
  body: unknown
}

export interface CustomerBillRow {
  id: string
  bill_no: string
  billing_account_id: string
  state: string
  run_type: string
  category: string
  currency: string
  bill_date: string
  period_start: string
  period_end: string
  payment_due_date: string
  amount_due: string
  remaining_amount: string
  on_demand_id: string | null
  last_update: string
  body: unknown
}

export interface BillDocumentRow {
  id: string
  bill_id: string
  mime_type: string
  size: number | null
  content: Uint8Array | null
  rendered_at: string | null
}

export interface OnDemandRow {
  id: string
  billing_account_id: string | null
  state: string
  customer_bill_id: string | null
  created_at: string
  last_update: string
  body: unknown
}

export interface PaymentRow {
  id: string
  external_id: string | null
  billing_account_id: string
  currency: string
  amount: string
  unallocated_amount: string
  created_at: string
  body: unknown
}

export interface SequenceRow { name: string; value: number }

export interface HubSubscriptionRow {
  id: string
  callback: string
  query: string | null
  secret: string | null
  created_at: string
}

export interface OutboxRow {
  id: string
  /** Enqueue order (a sequence on PostgreSQL, max + 1 on SQLite). */
  seq: Generated<number>
  event_type: string
  event_time: string
  payload: unknown
  /** The exact JSON text sent to subscribers. */
  body: string
  fanned_out_at: string | null
}

export interface DeliveryRow {
  id: string
  event_id: string
  subscription_id: string
  event_seq: number
  status: string
  attempts: Generated<number>
  next_attempt_at: string
  locked_until: string | null
  last_attempt_at: string | null
  last_status: number | null
  last_error: string | null
  delivered_at: string | null
  created_at: string
}

export interface LeaseRow { name: string; holder: string; expires_at: string }

export interface Database {
  billing_account: BillingAccountRow
  applied_customer_billing_rate: RateRow
  customer_bill: CustomerBillRow
  bill_document: BillDocumentRow
  customer_bill_on_demand: OnDemandRow
  payment: PaymentRow
  sequence: SequenceRow
  hub_subscription: HubSubscriptionRow
  event_outbox: OutboxRow
  event_delivery: DeliveryRow
  lease: LeaseRow
  schema_migration: { name: string; applied_at: string }
}
