import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { lineBatches, ndjsonLines } from '../../src/domain/rate-sources.ts'

async function viaReadline (chunks: Buffer[]): Promise<string[]> {
  const lines: string[] = []
  for await (const line of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) lines.push(line)
  return lines
}

async function viaLineBatches (chunks: Buffer[]): Promise<string[]> {
  const lines: string[] = []
  for await (const batch of lineBatches(Readable.from(chunks))) lines.push(...batch)
  return lines
}

/**
 * Cuts `bytes` at random places, so breaks and multi-byte characters fall across chunks. No chunk is empty:
 * readline forgets a \r that ended a chunk when an empty chunk follows, and then counts the \n after it as a
 * second line break; lineBatches does not.
 */
function randomChunks (bytes: Buffer, random: () => number): Buffer[] {
  const chunks: Buffer[] = []
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * 5)
    chunks.push(bytes.subarray(at, at + size))
    at += size
  }
  return chunks
}

test('lines split as node:readline splits them (crlfDelay: Infinity), however the stream is chunked', async () => {
  let seed = 7
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const pieces = ['{"a":1}', '\n', '\r\n', '\r', '\r\r\n', '\n\n', ' ', 'é', '€', '😀', 'x', '\ufeff', '\u2028']
  for (let round = 0; round < 500; round++) {
    let text = ''
    for (let i = Math.floor(random() * 12); i > 0; i--) text += pieces[Math.floor(random() * pieces.length)]
    let bytes = Buffer.from(text)
    // Sometimes a truncated character at the very end.
    if (random() < 0.1) bytes = Buffer.concat([bytes, Buffer.from('€').subarray(0, 2)])
    const chunks = randomChunks(bytes, random)
    assert.deepEqual(await viaLineBatches(chunks), await viaReadline(chunks), JSON.stringify(text))
  }
})

test('NDJSON lines keep their numbers across blank lines and CRLF; bad lines say why', async () => {
  const input = Readable.from([Buffer.from('{"a":1}\r\n\r\n  \n[1]\r{"b":'), Buffer.from('2}\nnot json\n{"c":3}')])
  const out = []
  for await (const item of ndjsonLines(input)) out.push(item)
  assert.deepEqual(out.map((l) => [l.line, l.record ?? l.error?.split(':')[0]]), [
    [1, { a: 1 }], [4, 'line is not a JSON object'], [5, { b: 2 }], [6, 'malformed JSON'], [7, { c: 3 }]
  ])
})
