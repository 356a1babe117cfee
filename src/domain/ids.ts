import { randomFillSync } from 'node:crypto'

// NOTE: random bytes are drawn 4 KiB at a time: one call into the CSPRNG per id cost ~6 % of a bulk import.
const POOL_SIZE = 4096
const pool = Buffer.alloc(POOL_SIZE)
let offset = POOL_SIZE

// RFC 9562 §6.2 method 1: within one millisecond the 12-bit `rand_a` field is a counter, so ids made by one
// process are strictly increasing; when the counter runs out the timestamp moves on by a millisecond.
let lastMs = 0
let counter = 0

/**
 * Server-owned identifiers are UUIDv7 (RFC 9562): unique across several server processes, unguessable in
 * their 62 random bits, and ordered by creation time, so "id order" is creation order (strictly, for ids
 * made by one process) and new rows land at the end of the primary-key index instead of at random places.
 */
export function newId (now = Date.now()): string {
  if (offset + 16 > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + 16))
  offset += 16
  if (now > lastMs) {
    lastMs = now
    counter = (bytes[6] ?? 0) & 0x07 // start low in the range: room for many ids in one millisecond
  } else if (++counter > 0xfff) {
    lastMs++
    counter = 0
  }
  bytes.writeUIntBE(lastMs, 0, 6)
  bytes[6] = 0x70 | (counter >> 8)
  bytes[7] = counter & 0xff
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f)
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
