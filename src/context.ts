import type { Config } from './config.ts'
import type { BillingOptions } from './domain/bill-account.ts'
import type { Store } from './store/database.ts'

/** The billing engine's settings, taken from the configuration once. */
export function billingOptions (config: Config, store: Store): BillingOptions {
  return {
    rounding: config.roundingMode,
    billNumberPrefix: config.billNumberPrefix,
    defaultPaymentTermsDays: config.paymentTermsDays,
    baseUrl: config.publicUrl,
    lockRows: store.dialect.supportsSkipLocked
  }
}

export function accountDefaults (config: Config) {
  return { billCycleDay: config.billCycleDay, paymentTermsDays: config.paymentTermsDays }
}
