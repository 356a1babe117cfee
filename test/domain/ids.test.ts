import { test } from 'node:test'
import assert from 'node:assert/strict'
import { newId } from '../../src/domain/ids.ts'

test('ids are RFC 9562 UUIDv7 strings', () => {
  const id = newId(Date.UTC(2026, 10, 27))
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(parseInt(id.replaceAll('-', '').slice(0, 12), 16) >= Date.UTC(2026, 10, 27), true)
})

test('ids made in one millisecond are strictly increasing and unique, so id order is creation order', () => {
  const now = Date.now() + 10_000
  const ids = Array.from({ length: 10_000 }, () => newId(now))
  assert.deepEqual([...ids].sort(), ids)
  assert.equal(new Set(ids).size, ids.length)
  // A clock that goes backwards does not break the order either.
  const later = newId(now - 5_000)
  assert.ok(later > ids[ids.length - 1]!)
})
