import type { Clock } from './clock.ts'
import type { BillRecord } from './records.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import { assertClientTransition, stateAfterRelease } from './bill-state.ts'
import { toDecimal } from './money.ts'
import { billResource } from './resources.ts'
import type { Store } from '../store/database.ts'
import { findBill, updateBill } from '../store/bills.ts'
import { enqueueEvent } from '../events/outbox.ts'

/** What a client may change on a CustomerBill (CustomerBill_Update): the state and the polymorphism attributes. */
export const PATCHABLE = ['state', '@type', '@baseType', '@schemaLocation'] as const

/**
 * Applies a validated change to a bill: a state change must follow the lifecycle table (409 otherwise) and
 * records a CustomerBillStateChangeEvent in the same transaction.
 */
export async function changeBill (id: string, change: { state?: string; '@baseType'?: string; '@schemaLocation'?: string },
  deps: { store: Store; clock: Clock; baseUrl: string }): Promise<BillRecord> {
  return deps.store.transaction(async (trx) => {
    const bill = await findBill(trx, id, deps.store.dialect.supportsSkipLocked)
    if (!bill) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No CustomerBill with id ${id}`)
    const now = deps.clock.now()
    const requested = change.state ?? bill.state
    assertClientTransition(bill.state, requested)
    const remaining = toDecimal(bill.remainingAmount)
    // NOTE: "paid" means a payment was applied; a credit note (amountDue ≤ 0) was never paid and keeps the target.
    const paid = remaining.lt(toDecimal(bill.amountDue))
    const next = bill.state === 'onHold' && requested !== 'onHold'
      ? stateAfterRelease(requested, paid && remaining.lte(0), paid)
      : requested
    const body = { ...bill.body }
    for (const key of ['@baseType', '@schemaLocation'] as const) {
      if (change[key] !== undefined) body[key] = change[key]
    }
    const updated: BillRecord = { ...bill, state: next, lastUpdate: now.toISOString(), body }
    await updateBill(trx, updated)
    if (next !== bill.state) await enqueueEvent(trx, 'CustomerBillStateChangeEvent', billResource(updated, deps.baseUrl), now)
    return updated
  })
}
