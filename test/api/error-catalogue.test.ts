/**
 * docs/errors.md is the error catalogue: every code the server can answer with, its HTTP status and an example
 * body. This test keeps it honest against the code: a new code, a changed status or a stale entry fails here.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { ErrorCodes } from '../../src/domain/errors.ts'
import { httpStatusOf } from '../../src/api/errors.ts'

const catalogue = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8')

interface Entry { status: number; body: string }

/** Each `## \`CODE\` — STATUS` section with its text up to the next heading. */
function sections (markdown: string): Map<string, Entry> {
  const out = new Map<string, Entry>()
  const heading = /^## `([A-Z_]+)` — (\d{3})$/gm
  const found = [...markdown.matchAll(heading)]
  found.forEach((m, i) => {
    const end = found[i + 1]?.index ?? markdown.indexOf('\n## ', (m.index ?? 0) + 1)
    out.set(m[1] ?? '', { status: Number(m[2]), body: markdown.slice(m.index, end === -1 ? undefined : end) })
  })
  return out
}

/** The `| \`CODE\` | STATUS | … |` rows of the summary table. */
function tableRows (markdown: string): Map<string, number> {
  return new Map([...markdown.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1] ?? '', Number(m[2])]))
}

describe('docs/errors.md, the error catalogue', () => {
  const documented = sections(catalogue)
  const rows = tableRows(catalogue)
  const codes = Object.values(ErrorCodes)

  it('has a section and a table row for every code in ErrorCodes, with its HTTP status', () => {
    const missing = codes.filter((code) => !documented.has(code) || !rows.has(code))
    assert.deepEqual(missing, [], `document these codes in docs/errors.md: ${missing.join(', ')}`)
    for (const code of codes) {
      assert.equal(documented.get(code)?.status, httpStatusOf[code], `section status of ${code}`)
      assert.equal(rows.get(code), httpStatusOf[code], `table status of ${code}`)
    }
  })

  it('documents no code the server does not have', () => {
    const known = new Set<string>(codes)
    assert.deepEqual([...documented.keys()].filter((code) => !known.has(code)), [])
    assert.deepEqual([...rows.keys()].filter((code) => !known.has(code)), [])
  })

  it('gives every code an example that is a TMF Error body of that code and status', () => {
    for (const [code, { status, body }] of documented) {
      const example = /```json\n([\s\S]*?)\n```/.exec(body)?.[1]
      assert.ok(example, `${code} has a JSON example`)
      const parsed = JSON.parse(example)
      assert.deepEqual(Object.keys(parsed).sort(), ['@type', 'code', 'message', 'reason', 'status'], code)
      assert.equal(parsed.code, code)
      assert.equal(parsed.status, String(status))
      assert.equal(parsed['@type'], 'Error')
      assert.ok(parsed.reason.length > 0 && parsed.message.length > 0, code)
    }
  })

  it('explains every code in words, not only by example', () => {
    for (const [code, { body }] of documented) {
      const prose = body.split('\n').slice(1).join('\n').replace(/```json[\s\S]*?```/g, '').trim()
      assert.ok(prose.length > 60, `${code} needs a sentence on when it happens`)
    }
  })
})
