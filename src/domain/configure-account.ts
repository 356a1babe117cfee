import type { AccountRecord } from './records.ts'
import type { AccountDefaults } from './ingest-rates.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import type { Store } from '../store/database.ts'
import { ensureAccounts, findAccount, updateAccountSettings } from '../store/accounts.ts'

export interface AccountSettings {
  /** Day of the month (1–28, UTC) on which the account's bill cycle closes. */
  billCycleDay?: number
  /** Days between the bill date and the payment due date. */
  paymentTermsDays?: number
  name?: string
}

/**
 * Sets an account's bill cycle and payment terms (`tmfbill account set`). An account not seen yet is
 * registered with these settings, so a cycle can be configured before the account's first rate arrives.
 * The next bill run uses the new settings; bills already produced keep theirs.
 */
export async function configureAccount (id: string, settings: AccountSettings,
  deps: { store: Store; now: Date; defaults: AccountDefaults }): Promise<AccountRecord> {
  if (id.trim() === '') throw new DomainError(ErrorCodes.INVALID_FIELD, 'Invalid account', 'The account id must not be empty')
  const day = settings.billCycleDay
  // NOTE: 1–28 so that every month has the day (docs/decisions/0009-bill-cycles.md).
  if (day !== undefined && (!Number.isInteger(day) || day < 1 || day > 28)) {
    throw new DomainError(ErrorCodes.INVALID_FIELD, 'Invalid bill cycle day', `The bill cycle day must be a whole number from 1 to 28, got ${day}`)
  }
  const terms = settings.paymentTermsDays
  if (terms !== undefined && (!Number.isInteger(terms) || terms < 0 || terms > 3650)) {
    throw new DomainError(ErrorCodes.INVALID_FIELD, 'Invalid payment terms', `Payment terms must be a whole number of days from 0 to 3650, got ${terms}`)
  }
  return deps.store.transaction(async (trx) => {
    await ensureAccounts(trx, [{
      id,
      name: settings.name ?? null,
      billCycleDay: deps.defaults.billCycleDay,
      paymentTermsDays: deps.defaults.paymentTermsDays,
      createdAt: deps.now.toISOString()
    }])
    if (Object.values(settings).some((v) => v !== undefined)) await updateAccountSettings(trx, id, settings)
    const account = await findAccount(trx, id)
    if (!account) throw new DomainError(ErrorCodes.INTERNAL, 'Account not stored', `Account ${id} could not be stored`)
    return account
  })
}
