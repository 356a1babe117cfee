import { randomFillSync } from 'node:crypto'

// NOTE: random bytes are drawn 4 KiB at a time: one call into the CSPRNG per id cost ~6 % of a bulk import.
const POOL_SIZE = 4096
const pool = Buffer.alloc(POOL_SIZE)
let offset = POOL_SIZE

/**
 * Server-owned identifiers are UUIDv7 (RFC 9562): unique across several server processes, unguessable in
 * their 74 random bits, and ordered by creation time, so "id order" is creation order and new rows land at
 * the end of the primary-key index instead of at random places in it.
 */
export function newId (now = Date.now()): string {
  if (offset + 16 > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + 16))
  offset += 16
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f)
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f)
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
