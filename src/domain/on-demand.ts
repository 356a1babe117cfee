import type { Clock } from './clock.ts'
import type { OnDemandRecord } from './records.ts'
import { DomainError, ErrorCodes } from './errors.ts'
import { newId } from './ids.ts'
import { type BillingOptions, billAccount } from './bill-account.ts'
import { lastClosedPeriod } from './bill-cycle.ts'
import { onDemandResource } from './resources.ts'
import type { Store } from '../store/database.ts'
import { findAccount } from '../store/accounts.ts'
import { claimPendingOnDemand, findOnDemand, insertOnDemand, updateOnDemand } from '../store/on-demand.ts'
import { enqueueEvent } from '../events/outbox.ts'

export interface OnDemandDeps { store: Store; clock: Clock; billing: BillingOptions; defaultCycleDay: number }

/** Attributes of CustomerBillOnDemand_Create the server owns or ignores on input. */
const SERVER_OWNED = ['id', 'href', 'customerBill', 'state', 'lastUpdate'] as const

/**
 * Accepts an on-demand bill request: stored `inProgress` with its CustomerBillOnDemandCreateEvent; the
 * billing itself happens asynchronously in `processNextOnDemand`.
 */
export async function createOnDemandRequest (input: Record<string, unknown>, deps: OnDemandDeps): Promise<OnDemandRecord> {
  const account = input.billingAccount as { id?: unknown } | undefined
  const party = input.relatedParty as { id?: unknown } | undefined
  if (account === undefined && party === undefined) {
    throw new DomainError(ErrorCodes.INVALID_BODY, 'Missing billing account',
      "One of 'billingAccount' or 'relatedParty' is required")
  }
  const now = deps.clock.now().toISOString()
  const body: Record<string, unknown> = { ...input }
  for (const key of SERVER_OWNED) Reflect.deleteProperty(body, key)
  const record: OnDemandRecord = {
    id: newId(),
    billingAccountId: typeof account?.id === 'string' ? account.id : null,
    state: 'inProgress',
    customerBillId: null,
    createdAt: now,
    lastUpdate: now,
    body
  }
  await deps.store.transaction(async (trx) => {
    await insertOnDemand(trx, record)
    await enqueueEvent(trx, 'CustomerBillOnDemandCreateEvent', onDemandResource(record, deps.billing.baseUrl), new Date(now))
  })
  return record
}

/**
 * Processes the oldest pending request, if any: bills the account's unbilled rates (run type offCycle,
 * through the same billAccount as the bill run) and moves the request to done or rejected. Returns false
 * when nothing was pending.
 */
export async function processNextOnDemand (deps: OnDemandDeps): Promise<boolean> {
  let failedId: string | undefined
  try {
    return await deps.store.transaction(async (trx) => {
      const request = await claimPendingOnDemand(trx, deps.store.dialect.supportsSkipLocked)
      if (!request) return false
      failedId = request.id
      const now = deps.clock.now()
      const outcome = request.billingAccountId === null
        ? { state: 'rejected', description: 'tmfbill bills billing accounts: the request names a relatedParty but no billingAccount' }
        : await billOnDemand(trx, request, request.billingAccountId, now, deps)
      const updated: OnDemandRecord = {
        ...request,
        state: outcome.state,
        customerBillId: 'billId' in outcome ? outcome.billId ?? null : null,
        lastUpdate: now.toISOString(),
        body: { ...request.body, description: outcome.description }
      }
      await updateOnDemand(trx, updated)
      await enqueueEvent(trx, 'CustomerBillOnDemandStateChangeEvent', onDemandResource(updated, deps.billing.baseUrl), now)
      return true
    })
  } catch (err) {
    if (failedId === undefined) throw err
    await markTerminated(failedId, err, deps)
    return true
  }
}

async function billOnDemand (trx: Parameters<typeof billAccount>[0], request: OnDemandRecord, accountId: string, now: Date,
  deps: OnDemandDeps): Promise<{ state: string; description: string; billId?: string }> {
  const account = await findAccount(trx, accountId)
  const cycle = lastClosedPeriod(now, account?.billCycleDay ?? deps.defaultCycleDay)
  const produced = await billAccount(trx, {
    accountId,
    // NOTE: an on-demand bill takes every unbilled rate up to this instant, including rates of the open cycle.
    ratesBefore: new Date(now.getTime() + 1),
    period: { start: cycle.end, end: now },
    billDate: now,
    runType: 'offCycle',
    onDemandId: request.id
  }, deps.billing)
  const first = produced[0]
  if (!first) return { state: 'rejected', description: `Billing account ${accountId} has no unbilled charges` }
  const numbers = produced.map((p) => p.bill.billNo).join(', ')
  return {
    state: 'done',
    billId: first.bill.id,
    description: produced.length === 1 ? `Bill ${numbers} produced` : `Bills ${numbers} produced, one per currency`
  }
}

async function markTerminated (id: string, err: unknown, deps: OnDemandDeps): Promise<void> {
  await deps.store.transaction(async (trx) => {
    const request = await findOnDemand(trx, id)
    if (!request || request.state !== 'inProgress') return
    const now = deps.clock.now()
    const reason = err instanceof DomainError ? err.message : 'internal error while billing'
    const updated = { ...request, state: 'terminatedWithError', lastUpdate: now.toISOString(), body: { ...request.body, description: reason } }
    await updateOnDemand(trx, updated)
    await enqueueEvent(trx, 'CustomerBillOnDemandStateChangeEvent', onDemandResource(updated, deps.billing.baseUrl), now)
  })
}
