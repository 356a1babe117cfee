import type { Clock } from './clock.ts'
import type { BillRecord, PaymentRecord } from './records.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import { newId } from './ids.ts'
import { type Decimal, parseAmount, parseCurrency, toAmountString, toDecimal, toWireNumber } from './money.ts'
import { stateAfterPayment } from './bill-state.ts'
import { API_PATH, billResource } from './resources.ts'
import { isUniqueViolation, type Store } from '../store/database.ts'
import { findBill, findOpenBills, updateBill } from '../store/bills.ts'
import { findPaymentByExternalId, insertPayment } from '../store/payments.ts'
import { enqueueEvent } from '../events/outbox.ts'

export const PAYMENT_API_PATH = '/tmf-api/paymentManagement/v4'

export interface PaymentDeps { store: Store; clock: Clock; baseUrl: string }

interface Allocation { bill: BillRecord; amount: Decimal }

/**
 * Applies a payment (TMF676-shaped) to bills: to the bills its `paymentItem`s name, or else to the account's
 * open bills oldest first. Each bill gains an appliedPayment, its remainingAmount falls and its state moves
 * to partiallyPaid or settled. What is left over stays on the payment as `unallocatedAmount`, a credit of the
 * account (docs/decisions/0007-payments.md). Payment, bills and events commit together.
 */
export async function applyPayment (input: Record<string, unknown>, deps: PaymentDeps): Promise<{ payment: PaymentRecord; created: boolean }> {
  const account = input.account as { id?: unknown } | undefined
  if (typeof account?.id !== 'string') throw new DomainError(ErrorCodes.INVALID_BODY, 'Missing account', "Attribute 'account.id' is required")
  const total = input.totalAmount as { unit?: unknown; value?: unknown } | undefined
  if (total === undefined) throw new DomainError(ErrorCodes.INVALID_BODY, 'Missing amount', "Attribute 'totalAmount' is required")
  const currency = parseCurrency(total.unit, 'totalAmount.unit')
  const amount = parseAmount(total.value, 'totalAmount.value')
  if (amount.lte(0)) throw new DomainError(ErrorCodes.INVALID_MONEY, 'Invalid amount', 'totalAmount.value must be positive')
  const accountId = account.id
  const externalId = typeof input.externalId === 'string' ? input.externalId : null

  try {
    return await recordPayment(input, accountId, currency, amount, externalId, deps)
  } catch (err) {
    // NOTE: two requests with one externalId at once: the unique key lets one win; the other answers with it.
    if (externalId === null || !isUniqueViolation(err)) throw err
    const existing = await findPaymentByExternalId(deps.store.db, externalId)
    if (!existing) throw err
    return { payment: existing, created: false }
  }
}

async function recordPayment (input: Record<string, unknown>, accountId: string, currency: string, amount: Decimal,
  externalId: string | null, deps: PaymentDeps): Promise<{ payment: PaymentRecord; created: boolean }> {
  return deps.store.transaction(async (trx) => {
    if (externalId !== null) {
      const existing = await findPaymentByExternalId(trx, externalId)
      if (existing) return { payment: existing, created: false }
    }
    const now = deps.clock.now()
    const id = newId()
    const lock = deps.store.dialect.supportsSkipLocked
    const items = Array.isArray(input.paymentItem) ? input.paymentItem as { item?: { id?: unknown }; amount?: { value?: unknown; unit?: unknown } }[] : []
    const allocations = items.length > 0
      ? await allocateNamed(trx, items, accountId, currency, amount, lock)
      : allocateOldestFirst(await findOpenBills(trx, accountId, currency, lock), amount)
    const api = deps.baseUrl + PAYMENT_API_PATH
    let left = amount
    for (const a of allocations) {
      left = left.minus(a.amount)
      const remaining = toDecimal(a.bill.remainingAmount).minus(a.amount)
      const state = stateAfterPayment(a.bill.state, remaining.lte(0), a.amount.gt(0))
      const applied = { appliedAmount: { unit: currency, value: toWireNumber(a.amount) }, payment: { id, href: `${api}/payment/${id}`, '@referredType': 'Payment' }, '@type': 'AppliedPayment' }
      const updated: BillRecord = {
        ...a.bill,
        state,
        remainingAmount: toAmountString(remaining),
        lastUpdate: now.toISOString(),
        body: { ...a.bill.body, appliedPayment: [...((a.bill.body.appliedPayment as unknown[]) ?? []), applied] }
      }
      await updateBill(trx, updated)
      if (state !== a.bill.state) await enqueueEvent(trx, 'CustomerBillStateChangeEvent', billResource(updated, deps.baseUrl), now)
    }
    const payment: PaymentRecord = {
      id,
      externalId,
      billingAccountId: accountId,
      currency,
      amount: toAmountString(amount),
      unallocatedAmount: toAmountString(left),
      createdAt: now.toISOString(),
      body: {
        ...input,
        account: { ...(input.account as object), '@referredType': 'BillingAccount' },
        totalAmount: { unit: currency, value: toWireNumber(amount) },
        paymentDate: typeof input.paymentDate === 'string' ? input.paymentDate : now.toISOString(),
        status: 'done',
        paymentItem: allocations.map((a) => ({
          amount: { unit: currency, value: toWireNumber(a.amount) },
          item: { id: a.bill.id, href: `${deps.baseUrl}${API_PATH}/customerBill/${a.bill.id}`, '@referredType': 'CustomerBill' },
          '@type': 'PaymentItem'
        })),
        unallocatedAmount: { unit: currency, value: toWireNumber(left) },
        '@type': 'Payment'
      }
    }
    await insertPayment(trx, payment)
    return { payment, created: true }
  })
}

function allocateOldestFirst (bills: BillRecord[], amount: Decimal): Allocation[] {
  const out: Allocation[] = []
  let left = amount
  for (const bill of bills) {
    if (left.lte(0)) break
    const remaining = toDecimal(bill.remainingAmount)
    if (remaining.lte(0)) continue
    const take = remaining.lt(left) ? remaining : left
    out.push({ bill, amount: take })
    left = left.minus(take)
  }
  return out
}

async function allocateNamed (trx: Parameters<typeof findBill>[0], items: { item?: { id?: unknown }; amount?: { value?: unknown; unit?: unknown } }[],
  accountId: string, currency: string, total: Decimal, lock: boolean): Promise<Allocation[]> {
  const out: Allocation[] = []
  let left = total
  for (const [i, item] of items.entries()) {
    const billId = item.item?.id
    if (typeof billId !== 'string') throw new DomainError(ErrorCodes.INVALID_BODY, 'Invalid payment item', `paymentItem[${i}].item.id is required`)
    const bill = await findBill(trx, billId, lock)
    if (!bill || bill.billingAccountId !== accountId) {
      throw new DomainError(ErrorCodes.INVALID_BODY, 'Unknown bill', `paymentItem[${i}] names bill ${billId}, which is not a bill of account ${accountId}`)
    }
    if (bill.currency !== currency) {
      throw new DomainError(ErrorCodes.CURRENCY_MISMATCH, 'Currency mismatch', `Bill ${bill.billNo} is in ${bill.currency}, the payment in ${currency}`)
    }
    const wanted = item.amount?.value !== undefined ? parseAmount(item.amount.value, `paymentItem[${i}].amount.value`) : left
    const remaining = toDecimal(bill.remainingAmount)
    const take = [wanted, left, remaining].reduce((a, b) => (b.lt(a) ? b : a))
    if (take.gt(0)) {
      out.push({ bill, amount: take })
      left = left.minus(take)
    }
  }
  return out
}
