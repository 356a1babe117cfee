/**
 * Every way a client can get a request wrong, on a real server: each answer is a 4xx with the TMF Error body
 * `{code, reason, message, status, @type: 'Error'}` that says what was wrong, never a 500 or a stack trace, and
 * a rejected request leaves nothing changed. Ends with a seeded fuzz run of nasty query strings and bodies.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { runBillRun } from '../../src/domain/bill-run.ts'
import { systemClock } from '../../src/domain/clock.ts'
import { billingOptions } from '../../src/context.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'

type Json = any

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: Json }

const API_PATH = '/tmf-api/customerBillManagement/v4'
const BODY_LIMIT = 2048

/** One request with the path, headers and body sent exactly as given (no client-side encoding or defaults). */
function send (server: TestServer, method: string, path: string, opts: { body?: string; type?: string } = {}): Promise<Reply> {
  const { hostname, port } = new URL(server.url)
  const headers: Record<string, string | number> = { accept: 'application/json' }
  if (opts.type !== undefined) headers['content-type'] = opts.type
  if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => {
        let body: Json
        try { body = text === '' ? undefined : JSON.parse(text) } catch { body = undefined }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body })
      })
    })
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

const json = (server: TestServer, method: string, path: string, body: unknown, type = 'application/json'): Promise<Reply> =>
  send(server, method, path, { body: typeof body === 'string' ? body : JSON.stringify(body), type })

const ERROR_KEYS = new Set(['code', 'reason', 'message', 'status', '@type', 'referenceError', '@baseType', '@schemaLocation'])

/** The TMF Error body: its fields, its status echoed as a string, and nothing of the server's insides. */
function assertTmfError (reply: Reply, status: number, code?: string, mentions?: string | RegExp): void {
  const where = `${reply.status} ${reply.text.slice(0, 300)}`
  assert.equal(reply.status, status, where)
  assert.match(String(reply.headers['content-type']), /^application\/json/, where)
  assert.ok(reply.body !== null && typeof reply.body === 'object' && !Array.isArray(reply.body), where)
  for (const key of Object.keys(reply.body)) assert.ok(ERROR_KEYS.has(key), `unexpected attribute '${key}' in ${where}`)
  assert.equal(typeof reply.body.code, 'string', where)
  if (code !== undefined) assert.equal(reply.body.code, code, where)
  assert.ok(typeof reply.body.reason === 'string' && reply.body.reason.length > 0, where)
  assert.ok(typeof reply.body.message === 'string' && reply.body.message.length > 0, where)
  assert.equal(reply.body.status, String(status), where)
  assert.equal(reply.body['@type'], 'Error', where)
  assert.doesNotMatch(reply.text, /node_modules|\.ts:\d+|\bat [\w.<>]+ \(|SQLITE_|syntax error at/i, `internals leak in ${where}`)
  if (mentions !== undefined) {
    const said = `${reply.body.reason} ${reply.body.message}`
    if (typeof mentions === 'string') assert.ok(said.includes(mentions), `the error should name '${mentions}': ${said}`)
    else assert.match(said, mentions)
  }
}

function rate (extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    date: '2024-01-05T09:00:00Z', type: 'usageCharge', name: 'Calls',
    billingAccount: { id: 'BA-ERR-9' }, taxExcludedAmount: { unit: 'EUR', value: '1.00' }, ...extra
  }
}

/** Three bills (one per account) from rates billed by a run: one to keep intact, one to walk the lifecycle, one to fuzz. */
async function seed (server: TestServer): Promise<Json[]> {
  for (const [i, account] of ['BA-ERR-1', 'BA-ERR-2', 'BA-ERR-3'].entries()) {
    const reply = await json(server, 'POST', `${API_PATH}/appliedCustomerBillingRate`,
      rate({ externalId: `err-${i}`, billingAccount: { id: account }, taxExcludedAmount: { unit: 'EUR', value: `${10 + i}.50` } }))
    assert.equal(reply.status, 201, reply.text)
  }
  await runBillRun({ asOf: new Date('2024-02-01T00:00:00Z'), defaultCycleDay: 1 },
    { store: server.store, clock: systemClock, billing: billingOptions(server.config, server.store) })
  const bills = await send(server, 'GET', `${API_PATH}/customerBill?sort=billingAccount.id`)
  assert.equal(bills.body.length, 3)
  return bills.body
}

/** A small deterministic generator, so a failing fuzz case can be reproduced from its seed. */
function randomSource (seed: number): { int(n: number): number; pick<T>(items: readonly T[]): T; chance(p: number): boolean } {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p
  }
}

const NASTY_TEXT = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff x', 'ä', 'ß', '💥', '日本語', '\u202e', '\uFEFF', 'a'.repeat(3000),
  "' OR '1'='1", '"; DROP TABLE customer_bill; --', '1; SELECT pg_sleep(5)', "'); DELETE FROM applied_customer_billing_rate; --",
  '\\', '%', '%%', '%zz', '%00', '%E0%A4%A', '[', ']', '[]', '{}', '{"$ne":null}', '$ne', '$where', 'null', 'undefined',
  'NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '1_000', '9'.repeat(400), '0.1e-400', '2024-13-45', '2024-02-30',
  '2024-02-30T25:61:00Z', '2024-01-01T00:00:00+99:99', 'true', 'TRUE', ',', ',,', ';', ';;', '=', '==', '!=', '>=', '<',
  '.*', '(a+)+$', '(?<n>a)\\k<n>', '[[:alpha:]]', '\\p{L}', 'a{99999}', '*', '?', '&', '+', '..', '__proto__',
  'constructor', 'toString', 'onHold', 'settled', 'EUR', 'XYZ', 'EUR ', '12.345', '-1', '0'
]

const QUERY_KEYS = [
  'state', 'id', 'billNo', 'billingAccount.id', 'amountDue.value', 'amountDue.unit', 'remainingAmount.value', 'billDate',
  'isBilled', 'date', 'taxItem.taxCategory', 'taxItem.taxAmount.value', 'characteristic.value', 'appliedTax.taxRate',
  'relatedParty.id', 'bill.id', 'name', '@type', 'fields', 'sort', 'offset', 'limit', 'depth', 'expand', 'filter',
  '__proto__', 'constructor.prototype', 'a..b', '.', '', '💥', 'x'.repeat(300), 'billDocument', 'amountDue',
  'state[$ne]', 'state]', 'a b', 'a\u0000'
]

const OPERATOR_FORMS = [
  '=', '==', '!=', '>', '>=', '<', '<=', '=~', '*=', '=>', '=<', '=!=', '%3E', '%3E%3D', '%3C', '%3C%3D', '%3D%3D',
  '%21=', '.gt=', '.gte=', '.lt=', '.lte=', '.eq=', '.ne=', '.regex=', '.foo=', '.gt.lt=', '', '=='
]

/** The query string a client might type: raw when the text is plain ASCII, percent-encoded otherwise. */
function encodePart (text: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]*$/.test(text) && !text.includes('#')) return text
  // An unpaired surrogate has no UTF-8 form: send the bytes a careless client would (WTF-8).
  return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd')).replaceAll('%EF%BF%BD', '%ED%A0%80')
}

function fuzzQuery (rnd: ReturnType<typeof randomSource>): string {
  const parts: string[] = []
  for (let i = 0, n = 1 + rnd.int(3); i < n; i++) {
    const raw = rnd.chance(0.6)
    const key = encodePart(rnd.pick(QUERY_KEYS), raw)
    const op = rnd.pick(OPERATOR_FORMS)
    const value = rnd.pick(NASTY_TEXT)
    const listed = rnd.chance(0.2) ? `${value},${rnd.pick(NASTY_TEXT)}` : value
    parts.push(op.endsWith('=') || op === '' ? `${key}${op}${encodePart(listed, raw)}` : `${key}${op}${encodePart(listed, raw)}`)
  }
  return parts.join(rnd.pick(['&', '&', '&', ';', '&&']))
}

function fuzzValue (rnd: ReturnType<typeof randomSource>, depth: number): unknown {
  switch (rnd.int(depth > 3 ? 4 : 7)) {
    case 0: return rnd.pick(NASTY_TEXT)
    case 1: return rnd.pick([0, -1, 1.5, 1e308, -1e-308, Number.MAX_SAFE_INTEGER, 2 ** 64, 0.1 + 0.2])
    case 2: return rnd.pick([true, false, null])
    case 3: return rnd.pick([[], {}, [[[[[]]]]], { '': '' }])
    case 4: return Array.from({ length: rnd.int(4) }, () => fuzzValue(rnd, depth + 1))
    default: {
      const out: Record<string, unknown> = {}
      for (let i = 0, n = rnd.int(4); i < n; i++) out[rnd.pick([...Object.keys(rate()), 'state', 'op', 'path', 'value', ...NASTY_TEXT.slice(0, 20)])] = fuzzValue(rnd, depth + 1)
      return out
    }
  }
}

/** A body: a valid document with one attribute spoiled, a random document, a truncated one, or a deep one. */
function fuzzBody (rnd: ReturnType<typeof randomSource>, valid: Record<string, unknown>): string {
  switch (rnd.int(5)) {
    case 0: {
      const keys = Object.keys(valid)
      const spoiled = { ...valid, [rnd.pick([...keys, 'isBilled', 'id', 'bill', 'state', 'amountDue'])]: fuzzValue(rnd, 1) }
      return JSON.stringify(spoiled)
    }
    case 1: return JSON.stringify(fuzzValue(rnd, 0)) ?? 'null'
    case 2: {
      const text = JSON.stringify(valid)
      return text.slice(0, rnd.int(text.length))
    }
    case 3: return '['.repeat(500) + ']'.repeat(rnd.chance(0.5) ? 500 : 499)
    default: return JSON.stringify([{ op: rnd.pick(['replace', 'add', 'remove', 'move', 'copy', 'test', 'nope']), path: rnd.pick(['/state', '/amountDue/value', '', '/', '/__proto__/x', '/billDocument/0', '/state/-', rnd.pick(NASTY_TEXT)]), from: rnd.pick(['/billNo', '/state', 'x']), value: fuzzValue(rnd, 2) }])
  }
}

for (const kind of await storeKinds()) {
  describe(`errors are TMF Error bodies with the right 4xx (${kind})`, () => {
    let server: TestServer
    let bills: Json[] = []
    let intact: Json
    let lifecycle: Json
    let fuzzed: Json
    let rateId: string
    const bill = (b: Json): string => `${API_PATH}/customerBill/${b.id}`

    before(async () => {
      server = await startTestServer(kind, { jobs: false, env: { BODY_LIMIT_BYTES: String(BODY_LIMIT) } })
      bills = await seed(server)
      ;[intact, lifecycle, fuzzed] = bills
      rateId = (await send(server, 'GET', `${API_PATH}/appliedCustomerBillingRate?limit=1`)).body[0].id
    })
    after(async () => { await server.close() })

    it('malformed JSON is a 400 on every route that takes a body', async () => {
      const cases: Array<[string, string, string]> = [
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, 'application/json'],
        ['POST', `${API_PATH}/customerBillOnDemand`, 'application/json'],
        ['PATCH', bill(intact), 'application/json'],
        ['PATCH', bill(intact), 'application/merge-patch+json'],
        ['PATCH', bill(intact), 'application/json-patch+json']
      ]
      for (const [method, path, type] of cases) {
        for (const body of ['{"state": "onHold"', '{state: onHold}', "{'state':'onHold'}", '[1,]', '{"a":1}{"b":2}', '\u00ff\u00fe']) {
          assertTmfError(await send(server, method, path, { body, type }), 400, 'INVALID_BODY', /JSON/)
        }
        assertTmfError(await send(server, method, path, { body: '', type }), 400, 'INVALID_BODY')
        // Prototype keys are refused by the parser rather than merged into anything.
        assertTmfError(await send(server, method, path, { body: '{"__proto__": {"state": "settled"}}', type }), 400, 'INVALID_BODY')
      }
    })

    it('wrong types are a 400 that names the attribute', async () => {
      const cases: Array<[string, unknown, string]> = [
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ date: 42 }), 'date'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ billingAccount: 'BA-1' }), 'billingAccount'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ billingAccount: { id: 7 } }), 'billingAccount.id'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ taxExcludedAmount: { unit: 'EUR', value: true } }), 'taxExcludedAmount.value'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ taxExcludedAmount: [1] }), 'taxExcludedAmount'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ characteristic: { name: 'x', value: 1 } }), 'characteristic'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ appliedTax: [{ taxRate: 'high' }] }), 'appliedTax.0.taxRate'],
        [`${API_PATH}/appliedCustomerBillingRate`, rate({ name: ['Calls'] }), 'name'],
        [`${API_PATH}/customerBillOnDemand`, { billingAccount: 'A0815' }, 'billingAccount'],
        [`${API_PATH}/customerBillOnDemand`, { billingAccount: { id: 'A0815' }, description: 12 }, 'description'],
        [`${API_PATH}/customerBillOnDemand`, [{ billingAccount: { id: 'A0815' } }], 'body']
      ]
      for (const [path, body, attribute] of cases) {
        assertTmfError(await json(server, 'POST', path, body), 400, 'INVALID_BODY', attribute)
      }
      assertTmfError(await json(server, 'PATCH', bill(intact), { state: 42 }), 400, 'INVALID_BODY', 'state')
      assertTmfError(await json(server, 'PATCH', bill(intact), { '@baseType': { a: 1 } }), 400, 'INVALID_BODY', '@baseType')
      assertTmfError(await json(server, 'PATCH', bill(intact), '["state", "onHold"]', 'application/merge-patch+json'), 400, 'INVALID_BODY')
    })

    it('values the engine cannot take are a 400 that says why', async () => {
      const path = `${API_PATH}/appliedCustomerBillingRate`
      assertTmfError(await json(server, 'POST', path, rate({ taxExcludedAmount: { unit: 'XYZ', value: '1.00' } })), 400, 'INVALID_MONEY', 'XYZ')
      assertTmfError(await json(server, 'POST', path, rate({ taxExcludedAmount: { unit: 'EUR', value: '1,00' } })), 400, undefined, 'taxExcludedAmount.value')
      assertTmfError(await json(server, 'POST', path, rate({ taxExcludedAmount: { unit: 'XAU', value: '1.5' } })), 400, 'INVALID_MONEY', 'XAU')
      assertTmfError(await json(server, 'POST', path, rate({ date: '2024-13-45T00:00:00Z' })), 400, undefined, 'date')
      assertTmfError(await json(server, 'POST', path, rate({ date: 'yesterday' })), 400, undefined, 'date')
      assertTmfError(await json(server, 'POST', path, rate({ taxIncludedAmount: { unit: 'USD', value: '1.20' } })), 400, 'CURRENCY_MISMATCH')
      for (const owned of ['id', 'href', 'isBilled', 'bill']) {
        assertTmfError(await json(server, 'POST', path, rate({ [owned]: owned === 'isBilled' ? true : 'x' })), 400, undefined, owned)
      }
      assertTmfError(await json(server, 'POST', path, rate({ taxExcludedAmout: { unit: 'EUR', value: '1' } })), 400, 'INVALID_BODY', 'taxExcludedAmout')
      assertTmfError(await json(server, 'POST', `${API_PATH}/customerBillOnDemand`, { name: 'no account' }), 400, 'INVALID_BODY', /billingAccount/)
    })

    it('text a store cannot keep (NUL, unpaired surrogates) is a 400, or a 404 as an id', async () => {
      assertTmfError(await json(server, 'POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ name: 'a\u0000b' })), 400, 'INVALID_BODY', "'name'")
      assertTmfError(await json(server, 'POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ billingAccount: { id: '\ud800' } })), 400, 'INVALID_BODY', 'billingAccount.id')
      assertTmfError(await json(server, 'POST', `${API_PATH}/customerBillOnDemand`, { billingAccount: { id: 'A0815' }, 'x\u0000': 1 }), 400, 'INVALID_BODY')
      assertTmfError(await json(server, 'PATCH', bill(intact), { '@schemaLocation': 'http://x/\u0000' }), 400, 'INVALID_BODY', '@schemaLocation')
      assertTmfError(await send(server, 'GET', `${API_PATH}/customerBill?state=%00`), 400, 'INVALID_QUERY')
      assertTmfError(await send(server, 'GET', `${API_PATH}/customerBill/%00`), 404, 'NOT_FOUND')
    })

    it('an unknown enum value is a 400 that names the attribute', async () => {
      for (const state of ['paid', 'ONHOLD', 'on hold', '']) {
        assertTmfError(await json(server, 'PATCH', bill(intact), { state }), 400, 'INVALID_BODY', 'state')
      }
      assertTmfError(await json(server, 'POST', `${API_PATH}/customerBillOnDemand`, { billingAccount: { id: 'A0815' }, state: 'finished' }), 400, 'INVALID_BODY', 'state')
    })

    it('unknown or malformed filter syntax is a 400 naming the parameter', async () => {
      const cases: Array<[string, string, string]> = [
        ['customerBill', 'amountDue.value.gt=abc', 'amountDue.value'],
        ['customerBill', 'amountDue.value>=12,5', 'amountDue.value'],
        ['customerBill', 'billDate.gt=yesterday', 'billDate'],
        ['customerBill', 'billDate=2024-02-30', 'billDate'],
        ['customerBill', 'a..b=1', 'a..b'],
        ['customerBill', '.state=new', '.state'],
        ['customerBill', 'state', 'state'],
        ['customerBill', 'state%3E', 'state>'],
        ['customerBill', 'state==', 'state'],
        ['customerBill', 'state=>', 'state'],
        ['customerBill', 'state.gt>=new', 'state.gt>'],
        ['customerBill', 'state[$ne]=new', 'state[$ne]'],
        ['customerBill', 'state=new,,onHold', 'state'],
        ['customerBill', 'state=new;', 'state'],
        ['customerBill', 'name.regex=(', 'name.regex'],
        ['customerBill', 'name=~[a-', 'name'],
        ['customerBill', `name.regex=${'a'.repeat(300)}`, 'name.regex'],
        ['customerBill', 'depth=2', 'depth'],
        ['customerBill', 'expand=billingAccount', 'expand'],
        ['customerBill', 'filter=$[?(@.state==%27new%27)]', 'filter'],
        ['customerBill', 'limit.gt=5', 'limit'],
        ['customerBill', `state=${Array.from({ length: 101 }, (_, i) => `s${i}`).join(',')}`, 'state'],
        ['customerBill', 'fields=', 'fields'],
        ['customerBill', 'fields=a..b', 'fields'],
        ['customerBill', 'fields=__proto__', 'fields'],
        ['customerBill', 'sort=', 'sort'],
        ['customerBill', 'sort=-', 'sort'],
        ['customerBill', 'sort=a..b', 'sort'],
        ['appliedCustomerBillingRate', 'isBilled.gt=true', 'isBilled'],
        ['appliedCustomerBillingRate', 'isBilled=yes', 'isBilled'],
        ['appliedCustomerBillingRate', 'isBilled.regex=t', 'isBilled'],
        ['appliedCustomerBillingRate', 'taxExcludedAmount.value.regex=1', 'taxExcludedAmount.value'],
        ['appliedCustomerBillingRate', 'date<=2024-01-01T25:00:00Z', 'date'],
        ['customerBillOnDemand', 'lastUpdate.gt=soon', 'lastUpdate']
      ]
      for (const [resource, query, parameter] of cases) {
        const reply = await send(server, 'GET', `${API_PATH}/${resource}?${query}`)
        assertTmfError(reply, 400, 'INVALID_QUERY', parameter)
      }
      // A retrieve takes only `fields`: a filter there would look like it matched.
      assertTmfError(await send(server, 'GET', `${bill(intact)}?state=new`), 400, 'INVALID_QUERY', 'state')
      assertTmfError(await send(server, 'GET', `${API_PATH}/appliedCustomerBillingRate/${rateId}?limit=1`), 400, 'INVALID_QUERY', 'limit')
    })

    it('bad offset and limit are a 400 naming them', async () => {
      for (const query of ['offset=-1', 'offset=abc', 'offset=1.5', 'offset=', 'offset=1&offset=2', 'offset=99999999999999999999',
        'limit=-5', 'limit=1e3', 'limit=', 'limit=ten', 'limit=0x10', 'limit=1&limit=2', 'limit=%2B5']) {
        const parameter = query.startsWith('offset') ? 'offset' : 'limit'
        assertTmfError(await send(server, 'GET', `${API_PATH}/appliedCustomerBillingRate?${query}`), 400, 'INVALID_QUERY', parameter)
      }
    })

    it('an oversized body is a 413', async () => {
      const big = JSON.stringify(rate({ description: 'x'.repeat(BODY_LIMIT) }))
      assertTmfError(await json(server, 'POST', `${API_PATH}/appliedCustomerBillingRate`, big), 413, 'PAYLOAD_TOO_LARGE')
      assertTmfError(await json(server, 'POST', `${API_PATH}/customerBillOnDemand`, { billingAccount: { id: 'A0815' }, description: 'x'.repeat(BODY_LIMIT) }), 413, 'PAYLOAD_TOO_LARGE')
      assertTmfError(await json(server, 'PATCH', bill(intact), { state: 'onHold', '@schemaLocation': 'x'.repeat(BODY_LIMIT) }), 413, 'PAYLOAD_TOO_LARGE')
      // Just under the limit is accepted.
      const fits = JSON.stringify(rate({ externalId: 'err-fits', description: 'x'.repeat(BODY_LIMIT - 400) }))
      assert.ok(Buffer.byteLength(fits) < BODY_LIMIT)
      assert.equal((await json(server, 'POST', `${API_PATH}/appliedCustomerBillingRate`, fits)).status, 201)
    })

    it('an unsupported media type is a 415, also for types only another route speaks', async () => {
      const valid = JSON.stringify(rate())
      const cases: Array<[string, string, string]> = [
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, 'text/plain'],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, 'application/xml'],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, 'application/x-www-form-urlencoded'],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, 'multipart/form-data; boundary=x'],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, 'application/merge-patch+json'],
        ['POST', `${API_PATH}/customerBillOnDemand`, 'text/plain; charset=utf-8'],
        ['POST', `${API_PATH}/customerBillOnDemand`, 'application/x-ndjson'],
        ['POST', `${API_PATH}/customerBillOnDemand`, 'application/json-patch+json'],
        ['PATCH', bill(intact), 'text/plain'],
        ['PATCH', bill(intact), 'application/x-ndjson'],
        ['PATCH', bill(intact), 'application/jsonx'],
        ['PATCH', bill(intact), 'application/vnd.api+json']
      ]
      for (const [method, path, type] of cases) {
        assertTmfError(await send(server, method, path, { body: path.includes('customerBill/') ? '{"state":"onHold"}' : valid, type }), 415, 'UNSUPPORTED_MEDIA_TYPE', type.split(';')[0])
      }
      const untyped = await send(server, 'POST', `${API_PATH}/customerBillOnDemand`, { body: '{"billingAccount":{"id":"A0815"}}' })
      assertTmfError(untyped, 415, 'UNSUPPORTED_MEDIA_TYPE')
    })

    it('an unsupported method on a known path is a 405 with Allow', async () => {
      const cases: Array<[string, string, string]> = [
        ['POST', `${API_PATH}/customerBill`, 'GET'],
        ['DELETE', `${API_PATH}/customerBill`, 'GET'],
        ['PUT', bill(intact), 'GET, PATCH'],
        ['DELETE', bill(intact), 'GET, PATCH'],
        ['POST', bill(intact), 'GET, PATCH'],
        ['OPTIONS', bill(intact), 'GET, PATCH'],
        ['TRACE', `${API_PATH}/customerBill`, 'GET'],
        ['PATCH', `${API_PATH}/customerBillOnDemand`, 'GET, POST'],
        ['DELETE', `${API_PATH}/customerBillOnDemand/x`, 'GET'],
        ['PUT', `${API_PATH}/appliedCustomerBillingRate`, 'GET, POST'],
        ['PATCH', `${API_PATH}/appliedCustomerBillingRate/${rateId}`, 'GET'],
        ['DELETE', `${API_PATH}/appliedCustomerBillingRate/${rateId}`, 'GET'],
        ['POST', `${bill(intact)}/billDocument/${String(intact.billDocument[0].id)}`, 'GET']
      ]
      for (const [method, path, allow] of cases) {
        const reply = await send(server, method, path, method === 'TRACE' ? {} : { body: '{}', type: 'application/json' })
        assertTmfError(reply, 405, 'METHOD_NOT_ALLOWED', method)
        assert.equal(reply.headers.allow, allow, `${method} ${path}`)
      }
      assert.equal((await send(server, 'HEAD', `${API_PATH}/customerBill`)).status, 200, 'HEAD goes with GET')
    })

    it('an unknown path, or an unknown id, is a 404', async () => {
      for (const [method, path] of [
        ['GET', `${API_PATH}/customerBills`], ['GET', `${API_PATH}/nothing`], ['POST', `${API_PATH}/nothing`],
        ['GET', '/tmf-api/customerBillManagement/v3/customerBill'], ['GET', '/'], ['DELETE', '/tmf-api'],
        ['GET', `${bill(intact)}/extra`], ['GET', `${API_PATH}//customerBill`], ['GET', `${API_PATH}/customerBill/%`],
        ['GET', `${API_PATH}/customerBill/%E0%A4%A`], ['GET', `${API_PATH}/customerBill/${'x'.repeat(500)}`],
        ['GET', `${API_PATH}/customerBill/does-not-exist`], ['GET', `${API_PATH}/customerBillOnDemand/does-not-exist`],
        ['GET', `${API_PATH}/appliedCustomerBillingRate/does-not-exist`], ['GET', `${bill(intact)}/billDocument/does-not-exist`]
      ] as const) {
        assertTmfError(await send(server, method, path), 404, 'NOT_FOUND')
      }
      assertTmfError(await json(server, 'PATCH', `${API_PATH}/customerBill/does-not-exist`, { state: 'onHold' }), 404, 'NOT_FOUND')
      assertTmfError(await json(server, 'PATCH', `${API_PATH}/customerBill/does-not-exist`, [{ op: 'replace', path: '/state', value: 'onHold' }], 'application/json-patch+json'), 404, 'NOT_FOUND')
    })

    it('PATCH of any attribute but state and the @-attributes is a 400 naming it', async () => {
      for (const attribute of ['amountDue', 'billNo', 'id', 'href', 'billingAccount', 'taxItem', 'remainingAmount', 'lastUpdate', 'billDate', 'billDocument', 'nosuch']) {
        assertTmfError(await json(server, 'PATCH', bill(intact), { [attribute]: intact[attribute] ?? 'x' }), 400, 'INVALID_BODY', attribute)
        assertTmfError(await json(server, 'PATCH', bill(intact), { state: 'onHold', [attribute]: 'x' }, 'application/merge-patch+json'), 400, 'INVALID_BODY', attribute)
      }
      assertTmfError(await json(server, 'PATCH', bill(intact), { state: null }), 400, undefined, 'state')
    })

    it('a forbidden state change is a 409; allowed ones follow the transition table', async () => {
      const patch = (state: string) => json(server, 'PATCH', bill(lifecycle), { state })
      for (const target of ['sent', 'settled', 'partiallyPaid']) assertTmfError(await patch(target), 409, 'INVALID_STATE_TRANSITION', target)
      const walk: Array<[string, number]> = [
        ['validated', 200], ['new', 200], ['validated', 200], ['sent', 200], ['new', 409], ['validated', 409],
        ['onHold', 200], ['sent', 200], ['sent', 200], ['settled', 409]
      ]
      let expected = 'new'
      for (const [target, status] of walk) {
        const reply = await patch(target)
        if (status === 200) {
          assert.equal(reply.status, 200, `${expected} → ${target}: ${reply.text}`)
          assert.equal(reply.body.state, target)
          expected = target
        } else {
          assertTmfError(reply, 409, 'INVALID_STATE_TRANSITION', `'${expected}'`)
        }
        assert.equal((await send(server, 'GET', bill(lifecycle))).body.state, expected)
      }
    })

    it('JSON Patch replaces /state, and a patch touching /amountDue is a 400', async () => {
      const jp = (ops: unknown) => json(server, 'PATCH', bill(lifecycle), ops, 'application/json-patch+json')
      const replaced = await jp([{ op: 'replace', path: '/state', value: 'onHold' }])
      assert.equal(replaced.status, 200, replaced.text)
      assert.equal(replaced.body.state, 'onHold')
      assert.equal(replaced.body.id, lifecycle.id)
      const tested = await jp([{ op: 'test', path: '/state', value: 'onHold' }, { op: 'replace', path: '/state', value: 'sent' }])
      assert.equal(tested.status, 200, tested.text)
      assert.equal(tested.body.state, 'sent')
      assertTmfError(await jp([{ op: 'replace', path: '/amountDue/value', value: 0 }]), 400, 'INVALID_BODY', 'amountDue')
      assertTmfError(await jp([{ op: 'replace', path: '/state', value: 'onHold' }, { op: 'add', path: '/amountDue/unit', value: 'USD' }]), 400, 'INVALID_BODY', 'amountDue')
      assertTmfError(await jp([{ op: 'add', path: '/note', value: 'x' }]), 400, 'INVALID_BODY', 'note')
      assertTmfError(await jp([{ op: 'remove', path: '/state' }]), 400, undefined, 'state')
      assertTmfError(await jp([{ op: 'move', from: '/billNo', path: '/state' }]), 400, undefined, 'billNo')
      assertTmfError(await jp([{ op: 'test', path: '/state', value: 'new' }]), 400, 'INVALID_BODY', /test/i)
      assertTmfError(await jp([{ op: 'replace', path: '/state', value: 'paid' }]), 400, 'INVALID_BODY', 'state')
      assertTmfError(await jp([{ op: 'replace', path: '/state', value: 'new' }]), 409, 'INVALID_STATE_TRANSITION')
      assertTmfError(await jp([{ op: 'replace', path: '/__proto__/polluted', value: 1 }]), 400, 'INVALID_BODY')
      assertTmfError(await jp([{ op: 'frobnicate', path: '/state' }]), 400, 'INVALID_BODY')
      assertTmfError(await jp({ op: 'replace', path: '/state', value: 'onHold' }), 400, 'INVALID_BODY', /array/)
      assertTmfError(await jp([null]), 400, 'INVALID_BODY')
      assert.equal(({} as Json).polluted, undefined)
      assert.equal((await send(server, 'GET', bill(lifecycle))).body.state, 'sent')
    })

    it('merge-patch+json and plain JSON patch the state and the @-attributes', async () => {
      const merged = await json(server, 'PATCH', bill(lifecycle), { state: 'onHold', '@baseType': 'CustomerBill' }, 'application/merge-patch+json')
      assert.equal(merged.status, 200, merged.text)
      assert.equal(merged.body.state, 'onHold')
      assert.equal(merged.body['@baseType'], 'CustomerBill')
      const plain = await json(server, 'PATCH', bill(lifecycle), { state: 'sent' }, 'application/json; charset=utf-8')
      assert.equal(plain.status, 200, plain.text)
      assert.equal(plain.body.state, 'sent')
      assert.equal(plain.body['@baseType'], 'CustomerBill', 'a merge patch leaves what it does not name')
    })

    it('nothing stored changes after a rejected request', async () => {
      const snapshot = async () => ({
        bill: (await send(server, 'GET', bill(intact))).body,
        rates: (await send(server, 'GET', `${API_PATH}/appliedCustomerBillingRate?sort=id`)).text,
        requests: (await send(server, 'GET', `${API_PATH}/customerBillOnDemand`)).text
      })
      const before = await snapshot()
      assert.equal(before.bill.state, 'new')
      const rejected: Array<[string, string, unknown, string?]> = [
        ['PATCH', bill(intact), { state: 'onHold', amountDue: { unit: 'EUR', value: 0 } }],
        ['PATCH', bill(intact), { state: 'onHold', '@baseType': 'X', billNo: 'INV-X' }, 'application/merge-patch+json'],
        ['PATCH', bill(intact), { state: 'sent' }],
        ['PATCH', bill(intact), { state: 'settled', '@schemaLocation': 'http://example.com/s.json' }],
        ['PATCH', bill(intact), [{ op: 'replace', path: '/state', value: 'onHold' }, { op: 'replace', path: '/billNo', value: 'X' }], 'application/json-patch+json'],
        ['PATCH', bill(intact), [{ op: 'replace', path: '/state', value: 'onHold' }, { op: 'test', path: '/billNo', value: 'X' }], 'application/json-patch+json'],
        ['PATCH', bill(intact), '{"state":"onHold"', 'application/json'],
        ['PATCH', bill(intact), { state: 'onHold' }, 'text/plain'],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ isBilled: true })],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ taxExcludedAmount: { unit: 'XYZ', value: '1' } })],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ description: 'x'.repeat(BODY_LIMIT) })],
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ name: 'nul\u0000' })],
        ['POST', `${API_PATH}/customerBillOnDemand`, { description: 'no account' }],
        ['POST', `${API_PATH}/customerBillOnDemand`, { billingAccount: { id: 'BA-ERR-1' }, state: 'bogus' }]
      ]
      for (const [method, path, body, type] of rejected) {
        const reply = await json(server, method, path, body, type)
        assert.ok(reply.status >= 400 && reply.status < 500, `${method} ${JSON.stringify(body).slice(0, 80)} → ${reply.status}`)
      }
      assert.deepEqual(await snapshot(), before)
    })

    it('bad NDJSON lines are reported one by one while good lines are stored', async () => {
      const line = (ext: string, extra: Record<string, unknown> = {}) => JSON.stringify(rate({ externalId: ext, ...extra }))
      const body = [line('nd-1'), 'not json', '[1]', line('nd-2', { taxExcludedAmount: { unit: 'EUR', value: 'abc' } }),
        line('nd-3', { name: 'nul\u0000' }), line('nd-4', { isBilled: true }), line('nd-5')].join('\n')
      const reply = await send(server, 'POST', `${API_PATH}/appliedCustomerBillingRate`, { body, type: 'application/x-ndjson' })
      assert.equal(reply.status, 200, reply.text)
      assert.equal(reply.body.read, 7)
      assert.equal(reply.body.created, 2)
      assert.equal(reply.body.rejected, 5)
      assert.deepEqual(reply.body.errors.map((e: Json) => e.line), [2, 3, 4, 5, 6])
      assert.match(reply.body.errors[3].reason, /name/)
      assert.match(reply.body.errors[4].reason, /isBilled/)
      const stored = await send(server, 'GET', `${API_PATH}/appliedCustomerBillingRate?externalId.regex=^nd-&fields=externalId&sort=externalId`)
      assert.deepEqual(stored.body.map((r: Json) => r.externalId), ['nd-1', 'nd-5'])
    })

    it('never answers 500 to ~200 nasty query strings and bodies (seeded fuzz)', async () => {
      const rnd = randomSource(678)
      const failures: string[] = []
      const check = (what: string, reply: Reply): void => {
        const ok = reply.status > 0 && reply.status < 500 &&
          (reply.status < 400 || (reply.body?.['@type'] === 'Error' && reply.body.status === String(reply.status)))
        if (!ok) failures.push(`${what} → ${reply.status} ${reply.text.slice(0, 200)}`)
      }
      const listPaths = ['customerBill', 'appliedCustomerBillingRate', 'customerBillOnDemand', `customerBill/${fuzzed.id}`, `appliedCustomerBillingRate/${rateId}`]
      for (let i = 0; i < 120; i++) {
        const path = `${API_PATH}/${rnd.pick(listPaths)}?${fuzzQuery(rnd)}`
        check(`GET ${path.slice(0, 200)}`, await send(server, 'GET', path))
      }
      const targets: Array<[string, string, Record<string, unknown>, string[]]> = [
        ['POST', `${API_PATH}/appliedCustomerBillingRate`, rate({ externalId: 'fuzz' }), ['application/json']],
        ['POST', `${API_PATH}/customerBillOnDemand`, { billingAccount: { id: 'BA-ERR-3' }, description: 'fuzz' }, ['application/json']],
        ['PATCH', bill(fuzzed), { state: 'onHold', '@baseType': 'CustomerBill' }, ['application/json', 'application/merge-patch+json', 'application/json-patch+json']]
      ]
      for (let i = 0; i < 90; i++) {
        const [method, path, valid, types] = rnd.pick(targets)
        const body = fuzzBody(rnd, valid)
        const type = rnd.pick(types)
        check(`${method} ${path} ${type} ${body.slice(0, 200)}`, await send(server, method, path, { body, type }))
      }
      assert.deepEqual(failures, [])
      assert.equal((await send(server, 'GET', '/health')).status, 200, 'the server is still healthy')
    })
  })
}

describe('a failure inside the server is a 500 TMF Error that hides the cause', () => {
  let server: TestServer
  before(async () => { server = await startTestServer('sqlite', { jobs: false }) })
  after(async () => { await server.close().catch(() => {}) })

  it('answers 500 with the TMF Error body and no internals when the store is gone', async () => {
    // The error path does not depend on the store kind: any unexpected failure goes through the same handler.
    await server.store.db.destroy()
    for (const path of [`${API_PATH}/customerBill`, `${API_PATH}/appliedCustomerBillingRate/x`, '/health']) {
      const reply = await send(server, 'GET', path)
      assertTmfError(reply, 500, 'INTERNAL')
      assert.doesNotMatch(reply.text, /destroy|driver|kysely|sqlite/i)
    }
  })
})

describe('requests that are not valid HTTP still get a TMF Error body', () => {
  let server: TestServer
  before(async () => { server = await startTestServer('sqlite', { jobs: false }) })
  after(async () => { await server.close() })

  /** Writes raw bytes to the server and reads everything it answers until it closes the connection. */
  function raw (bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.end(bytes))
      let answer = ''
      socket.setEncoding('utf8')
      socket.on('data', (d: string) => { answer += d })
      socket.on('error', reject)
      socket.on('close', () => resolve(answer))
    })
  }

  function body (answer: string): any {
    return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
  }

  it('a request line and headers over 16 KiB are a 431 HEADERS_TOO_LARGE', async () => {
    const answer = await raw(`GET ${API_PATH}/customerBill?state=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`)
    assert.match(answer, /^HTTP\/1\.1 431 /)
    assert.deepEqual(body(answer), { code: 'HEADERS_TOO_LARGE', reason: 'Request headers too large',
      message: 'The request line and headers must not exceed 16 KiB', status: '431', '@type': 'Error' })
  })

  it('garbage instead of a request line is a 400 MALFORMED_REQUEST', async () => {
    const answer = await raw('HELLO THERE\r\n\r\n')
    assert.match(answer, /^HTTP\/1\.1 400 /)
    assert.equal(body(answer).code, 'MALFORMED_REQUEST')
    assert.equal(body(answer)['@type'], 'Error')
  })
})
