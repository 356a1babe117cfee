import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { FakeClock } from '../../src/domain/clock.ts'
import { openStore, type Store } from '../../src/store/database.ts'
import { commitEvent, bill, dispatch, subscribe } from '../events/support.ts'
import { runCli, scratchDir } from './cli-helpers.ts'

/**
 * `tmfbill deliveries list|retry` as an operator uses it: a delivery to a listener that never answers ends
 * dead after its attempts, shows up in the list, and `retry` makes it due again.
 */
const scratch = scratchDir('deliveries')
const url = `sqlite:${join(scratch.dir, 'tmfbill.db')}`
let store: Store

before(async () => {
  store = await openStore(url)
  const clock = new FakeClock('2026-03-01T00:00:00Z')
  // Port 9 on loopback (discard) is closed here: every attempt is refused at once.
  await subscribe(store, clock, { callback: 'http://127.0.0.1:9/listener' })
  await commitEvent(store, 'CustomerBillStateChangeEvent', bill('b-1', 'settled'))
  const dispatcher = dispatch(store, clock, { maxAttempts: 1 })
  await dispatcher.drain()
  await dispatcher.stop()
})

after(async () => {
  await store.close()
  scratch.cleanup()
})

test('a dead delivery is listed, retried, and then pending again', async () => {
  const dead = await runCli(['deliveries', 'list', '--status', 'dead'], { DATABASE_URL: url })
  assert.equal(dead.code, 0, dead.stderr)
  assert.match(dead.stdout, /dead\s+CustomerBillStateChangeEvent\s+attempts=1/)
  assert.match(dead.stdout, /1 of 1 dead deliveries shown/)

  const retried = await runCli(['deliveries', 'retry'], { DATABASE_URL: url })
  assert.equal(retried.code, 0, retried.stderr)
  assert.match(retried.stdout, /^1 deliveries scheduled for retry/m)

  const pending = await runCli(['deliveries', 'list', '--status', 'pending'], { DATABASE_URL: url })
  assert.match(pending.stdout, /pending\s+CustomerBillStateChangeEvent\s+attempts=0/)
  const none = await runCli(['deliveries', 'list', '--status', 'dead'], { DATABASE_URL: url })
  assert.match(none.stdout, /0 of 0 dead deliveries shown/)
})

test('an unknown status is refused with the allowed values', async () => {
  const res = await runCli(['deliveries', 'list', '--status', 'lost'], { DATABASE_URL: url })
  assert.notEqual(res.code, 0)
  assert.match(res.stderr, /Unknown delivery status 'lost'/)
})
