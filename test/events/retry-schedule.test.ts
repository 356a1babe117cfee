import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig } from '../../src/config.ts'
import { nextRetryDelayMs, retrySpanMs } from '../../src/events/retry-schedule.ts'

const policy = { baseMs: 10_000, maxDelayMs: 3 * 3600_000, maxAttempts: 20 }

describe('retry schedule', () => {
  it('waits between half and all of a doubling ceiling, capped', () => {
    assert.equal(nextRetryDelayMs(1, policy, () => 0), 5_000)
    assert.equal(nextRetryDelayMs(1, policy, () => 1), 10_000)
    assert.equal(nextRetryDelayMs(4, policy, () => 0.5), 60_000)
    assert.equal(nextRetryDelayMs(19, policy, () => 1), 3 * 3600_000)
    assert.equal(nextRetryDelayMs(19, policy, () => 0), 1.5 * 3600_000)
  })

  it('never makes a gap shorter than the one before it until the cap, whatever the jitter', () => {
    for (let trial = 0; trial < 200; trial++) {
      let previous = 0
      // 10 s × 2^10 = 2h50m40s is the last uncapped ceiling; after it every gap is in [1h30m, 3h].
      for (let failures = 1; failures <= 11; failures++) {
        const delay = nextRetryDelayMs(failures, policy) ?? Number.NaN
        assert.ok(delay >= previous, `gap ${failures}: ${delay} < ${previous}`)
        previous = delay
      }
    }
  })

  it('stops after the last attempt', () => {
    assert.equal(nextRetryDelayMs(20, policy), null)
    assert.equal(nextRetryDelayMs(1, { ...policy, maxAttempts: 1 }), null)
  })

  it('spans about a day with the default configuration', () => {
    const e = loadConfig({}).events
    const [shortest, longest] = retrySpanMs({ baseMs: e.retryBaseMs, maxDelayMs: e.retryMaxDelayMs, maxAttempts: e.maxAttempts })
    assert.equal(Math.round(shortest / 1000), 14 * 3600 + 50 * 60 + 35, 'at the soonest the last attempt comes 14h50m35s after the first')
    assert.equal(Math.round(longest / 1000), 29 * 3600 + 41 * 60 + 10, 'at the latest 29h41m10s after it')
  })
})
