import { DomainError, ErrorCodes } from './errors.ts'

export type BillState = 'new' | 'onHold' | 'validated' | 'sent' | 'partiallyPaid' | 'settled'

/**
 * Bill lifecycle (docs/decisions/0005-bill-lifecycle.md). Clients move bills through the first part by PATCH;
 * `partiallyPaid` and `settled` are reached only by payments, so they are not client targets.
 * `onHold` parks an open bill and returns it to where processing continues (new/validated/sent).
 */
const clientTransitions: Record<BillState, readonly BillState[]> = {
  new: ['validated', 'onHold'],
  validated: ['sent', 'onHold', 'new'],
  sent: ['onHold'],
  partiallyPaid: ['onHold'],
  onHold: ['new', 'validated', 'sent'],
  settled: []
}

export function canTransition (from: BillState, to: BillState): boolean {
  return from === to || clientTransitions[from].includes(to)
}

export function assertClientTransition (from: string, to: string): void {
  if (!canTransition(from as BillState, to as BillState)) {
    const allowed = clientTransitions[from as BillState] ?? []
    throw new DomainError(ErrorCodes.INVALID_STATE_TRANSITION, 'Invalid state transition',
      `A bill in state '${from}' cannot move to '${to}'` +
      (allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '; it is closed'))
  }
}

/** The state a payment leaves an open bill in. onHold bills keep their state: the payment is still applied. */
export function stateAfterPayment (current: string, remainingIsZeroOrLess: boolean, paidSomething: boolean): string {
  if (current === 'onHold') return current
  if (remainingIsZeroOrLess) return 'settled'
  return paidSomething ? 'partiallyPaid' : current
}

/**
 * The state a bill takes when a client releases it from onHold to `target`. Payments applied while it was held
 * did not move its state; they decide now: fully paid → settled, paid in part → partiallyPaid.
 */
export function stateAfterRelease (target: string, remainingIsZeroOrLess: boolean, paidSomething: boolean): string {
  if (remainingIsZeroOrLess) return 'settled'
  return paidSomething ? 'partiallyPaid' : target
}
