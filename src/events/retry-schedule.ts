export interface RetryPolicy {
  /** Ceiling of the first delay. */
  baseMs: number
  /** Cap on any one delay. */
  maxDelayMs: number
  /** Attempts in all, the first included; the delivery is dead when the last one fails. */
  maxAttempts: number
}

/** The ceiling of the delay after the n-th failed attempt (n ≥ 1): base × 2^(n−1), capped. */
export function retryCeilingMs (failedAttempts: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, failedAttempts - 1))
}

/**
 * Delay before the next attempt after `failedAttempts` failures, or null when none is left (dead).
 * NOTE: "equal jitter": uniform in [ceiling/2, ceiling]. Half of the window is random, which spreads the
 * retries of many deliveries that failed together (a listener's outage), and since the ceiling doubles, a
 * gap is never shorter than the one before it until the cap is reached (then each is in [cap/2, cap]).
 * Full jitter ([0, ceiling]) could retry the 5th time sooner than the 1st.
 */
export function nextRetryDelayMs (failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number | null {
  if (failedAttempts >= policy.maxAttempts) return null
  const ceiling = retryCeilingMs(failedAttempts, policy)
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** The [shortest, longest] time from the first attempt to the last one (docs/events.md quotes it). */
export function retrySpanMs (policy: RetryPolicy): [number, number] {
  let longest = 0
  for (let n = 1; n < policy.maxAttempts; n++) longest += retryCeilingMs(n, policy)
  return [longest / 2, longest]
}
