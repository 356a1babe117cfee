/**
 * TMF630 querying end to end, on a real server: attribute filters with every operator in its suffix, symbol,
 * percent-encoded and in-value forms, on strings, numbers, booleans and date-times, in columns and inside the
 * JSON body, through objects and arrays; OR lists, AND across keys; multi-key sorting; offset/limit paging
 * with its headers; the maximum page size; attribute selection.
 *
 * Requests go out with node:http so the query string reaches the server exactly as written here (fetch would
 * percent-encode `<`, `>` and friends). Each filter's expected answer is computed from the unfiltered list, so
 * a case checks the right resources come back, in the right order, and that the filter is not vacuous.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { runBillRun } from '../../src/domain/bill-run.ts'
import { systemClock } from '../../src/domain/clock.ts'
import { billingOptions } from '../../src/context.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'

type Json = any

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: Json }

/** GET with the path and query sent byte for byte as given. */
function rawGet (server: TestServer, pathAndQuery: string): Promise<Reply> {
  const { hostname, port } = new URL(server.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method: 'GET', path: pathAndQuery, headers: { accept: 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: text === '' ? undefined : JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const API_PATH = '/tmf-api/customerBillManagement/v4'

async function list (server: TestServer, resource: string, query = ''): Promise<Reply> {
  return rawGet(server, `${API_PATH}/${resource}${query === '' ? '' : `?${query}`}`)
}

/** A list answered in full: 200 and counts that agree with the body. */
async function listAll (server: TestServer, resource: string, query = ''): Promise<Json[]> {
  const reply = await list(server, resource, query)
  assert.equal(reply.status, 200, `${query}: ${reply.text}`)
  assert.equal(reply.headers['x-total-count'], String(reply.body.length))
  assert.equal(reply.headers['x-result-count'], String(reply.body.length))
  return reply.body
}

async function postJson (server: TestServer, path: string, body: unknown): Promise<Json> {
  const res = await fetch(`${server.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await res.json()
  assert.ok(res.status === 201, JSON.stringify(json))
  return json
}

/** Parses an RFC 8288 Link header into rel → URL. */
function links (header: string | string[] | undefined): Record<string, URL> {
  const out: Record<string, URL> = {}
  for (const part of String(header ?? '').split(/,\s*(?=<)/)) {
    const m = /^<([^>]+)>;\s*rel="([^"]+)"$/.exec(part.trim())
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[2]] = new URL(m[1])
  }
  return out
}

function pageOf (url: URL): { offset: string | null; limit: string | null } {
  return { offset: url.searchParams.get('offset'), limit: url.searchParams.get('limit') }
}

// NOTE: tmfbill compares text bytewise on both stores, which is what JavaScript's < does on these ASCII values.
function compare (a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === undefined) return 1 // missing values sort after every value
  if (b === undefined) return -1
  return (a as string | number) < (b as string | number) ? -1 : 1
}

function sortedBy (items: Json[], keys: Array<[(x: Json) => unknown, 'asc' | 'desc']>): Json[] {
  return [...items].sort((x, y) => {
    for (const [get, direction] of keys) {
      const c = compare(get(x), get(y))
      if (c !== 0) return direction === 'asc' ? c : -c
    }
    // The server's tiebreaker: id, in the direction of the last sort key.
    return keys[keys.length - 1]?.[1] === 'desc' ? -compare(x.id, y.id) : compare(x.id, y.id)
  })
}

const ids = (items: Json[]): string[] => items.map((item) => item.id)

interface RateSpec {
  ext: string
  account: string
  date: string
  type: string
  name: string
  product?: [string, string]
  value: string
  unit?: string
  characteristic?: Array<[string, unknown]>
  coverage?: [string, string]
}

// NOTE: January and February are billed by two bill runs; q14 and q15, dated March, stay unbilled.
const RATES: RateSpec[] = [
  { ext: 'q01', account: 'BA-Q1', date: '2024-01-03T08:00:00Z', type: 'recurringCharge', name: 'Fibre monthly fee', product: ['P-FIBRE', 'Fibre 1G'], value: '39.99', coverage: ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'] },
  { ext: 'q02', account: 'BA-Q1', date: '2024-01-05T10:30:00Z', type: 'usageCharge', name: 'Voice to mobile', product: ['P-FIBRE', 'Fibre 1G'], value: '2.35', characteristic: [['usageType', 'voice'], ['minutes', 42]] },
  { ext: 'q03', account: 'BA-Q1', date: '2024-01-05T23:59:59Z', type: 'usageCharge', name: 'Roaming data', product: ['P-FIBRE', 'Fibre 1G'], value: '7.5', characteristic: [['usageType', 'data'], ['megabytes', 1500], ['roaming', true]] },
  { ext: 'q04', account: 'BA-Q1', date: '2024-01-20T12:00:00Z', type: 'oneTimeCharge', name: 'Router', product: ['P-ROUTER', 'Router X'], value: '120', unit: 'USD' },
  { ext: 'q05', account: 'BA-Q2', date: '2024-01-08T09:00:00Z', type: 'recurringCharge', name: 'Business Mobile 20', product: ['P-MOB', 'Mobile'], value: '420.00', coverage: ['2024-01-08T00:00:00.000Z', '2024-02-08T00:00:00.000Z'] },
  { ext: 'q06', account: 'BA-Q2', date: '2024-01-09T09:00:00Z', type: 'usageCharge', name: 'International calls', product: ['P-MOB', 'Mobile'], value: '58.12', characteristic: [['usageType', 'voice'], ['minutes', 7]] },
  { ext: 'q07', account: 'BA-Q2', date: '2024-01-15T09:00:00Z', type: 'appliedBillingCredit', name: 'Goodwill credit', value: '-15.00' },
  { ext: 'q08', account: 'BA-Q3', date: '2024-01-10T09:00:00Z', type: 'oneTimeCharge', name: 'e-book bundle', product: ['P-BOOK', 'Books'], value: '10.00' },
  { ext: 'q09', account: 'BA-Q3', date: '2024-01-11T09:00:00Z', type: 'oneTimeCharge', name: 'Audiobook', product: ['P-BOOK', 'Books'], value: '10.5' },
  { ext: 'q10', account: 'BA-Q3', date: '2024-01-11T09:00:00Z', type: 'usageCharge', name: 'Voice to mobile', product: ['P-MOB', 'Mobile'], value: '1.2' },
  { ext: 'q11', account: 'BA-Q4', date: '2024-01-25T09:00:00Z', type: 'usageCharge', name: 'voice to landline', product: ['P-MOB', 'Mobile'], value: '0.5', characteristic: [['minutes', 'many']] },
  { ext: 'q12', account: 'BA-Q1', date: '2024-02-03T09:00:00Z', type: 'usageCharge', name: 'Roaming data', product: ['P-FIBRE', 'Fibre 1G'], value: '3.25', characteristic: [['roaming', false]] },
  { ext: 'q13', account: 'BA-Q2', date: '2024-02-10T09:00:00Z', type: 'usageCharge', name: 'International calls', product: ['P-MOB', 'Mobile'], value: '12.01' },
  { ext: 'q14', account: 'BA-Q3', date: '2024-03-04T09:00:00Z', type: 'oneTimeCharge', name: 'Paperback', product: ['P-BOOK', 'Books'], value: '15.90' },
  { ext: 'q15', account: 'BA-Q1', date: '2024-03-05T09:00:00Z', type: 'usageCharge', name: 'Voice to mobile', product: ['P-FIBRE', 'Fibre 1G'], value: '0.99' }
]

function rateBody (r: RateSpec): Record<string, unknown> {
  return {
    externalId: r.ext, date: r.date, type: r.type, name: r.name,
    billingAccount: { id: r.account },
    ...(r.product ? { product: { id: r.product[0], name: r.product[1] } } : {}),
    ...(r.characteristic ? { characteristic: r.characteristic.map(([name, value]) => ({ name, value })) } : {}),
    ...(r.coverage ? { periodCoverage: { startDateTime: r.coverage[0], endDateTime: r.coverage[1] } } : {}),
    taxExcludedAmount: { unit: r.unit ?? 'EUR', value: r.value }
  }
}

// Books carry a reduced VAT, so bills and rates show two tax categories.
const TAX_RULES = JSON.stringify({
  rules: [{ taxCategory: 'reducedVAT', taxRate: '0.05', match: { productId: 'P-BOOK' } }],
  default: { taxCategory: 'VAT', taxRate: '0.20' }
})

async function waitUntilSettled (server: TestServer, href: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while ((await (await fetch(href)).json() as Json).state === 'inProgress') {
    if (Date.now() > deadline) throw new Error(`on-demand request ${href} never finished`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function seed (server: TestServer): Promise<void> {
  for (const r of RATES) await postJson(server, '/appliedCustomerBillingRate', rateBody(r))
  const deps = { store: server.store, clock: systemClock, billing: billingOptions(server.config, server.store) }
  const january = await runBillRun({ asOf: new Date('2024-02-01T00:00:00Z'), defaultCycleDay: 1 }, deps)
  assert.equal(january.bills, 5, 'one bill per account and currency')
  const february = await runBillRun({ asOf: new Date('2024-03-01T00:00:00Z'), defaultCycleDay: 1 }, deps)
  assert.equal(february.bills, 2)
  const bills = await (await fetch(`${server.api}/customerBill?billingAccount.id=BA-Q2`)).json() as Json[]
  const patched = await fetch(bills[0].href, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"state":"onHold"}' })
  assert.equal(patched.status, 200)
  const requests = [
    await postJson(server, '/customerBillOnDemand', { billingAccount: { id: 'BA-EMPTY' }, name: 'nothing left' }),
    await postJson(server, '/customerBillOnDemand', { relatedParty: { id: 'PTY-1', '@referredType': 'Individual' } })
  ]
  for (const r of requests) await waitUntilSettled(server, r.href)
}

for (const kind of await storeKinds()) {
  describe(`TMF630 query language (${kind})`, () => {
    let server: TestServer
    let rates: Json[] = []
    let bills: Json[] = []

    before(async () => {
      server = await startTestServer(kind, { env: { TAX_RULES } })
      await seed(server)
      rates = await listAll(server, 'appliedCustomerBillingRate')
      bills = await listAll(server, 'customerBill')
    })
    after(async () => { await server.close() })

    it('has the data the cases need', () => {
      assert.equal(rates.length, RATES.length)
      assert.deepEqual(rates.map((r) => r.externalId).sort(), RATES.map((r) => r.ext))
      assert.deepEqual(ids(rates), ids(rates).sort(), 'the default order is by id')
      assert.equal(bills.length, 7)
      assert.deepEqual(new Set(bills.map((b) => b.state)), new Set(['new', 'onHold']))
    })

    const num = (r: Json, path: 'taxExcludedAmount' | 'taxIncludedAmount' | 'amountDue' | 'remainingAmount'): number => r[path]?.value
    const chars = (r: Json): Json[] => r.characteristic ?? []
    const rateCases: Array<[string, (r: Json) => boolean]> = [
      // equality and its negation, every spelling
      ['type=usageCharge', (r) => r.type === 'usageCharge'],
      ['type.eq=usageCharge', (r) => r.type === 'usageCharge'],
      ['type==usageCharge', (r) => r.type === 'usageCharge'],
      ['type%3D%3DusageCharge', (r) => r.type === 'usageCharge'],
      ['type.ne=usageCharge', (r) => r.type !== 'usageCharge'],
      ['type!=usageCharge', (r) => r.type !== 'usageCharge'],
      ['type%21=usageCharge', (r) => r.type !== 'usageCharge'],
      ['type=%21=usageCharge', (r) => r.type !== 'usageCharge'],
      // numbers (an indexed money column), every operator and form
      ['taxExcludedAmount.value.gt=10', (r) => num(r, 'taxExcludedAmount') > 10],
      ['taxExcludedAmount.value>10', (r) => num(r, 'taxExcludedAmount') > 10],
      ['taxExcludedAmount.value%3E10', (r) => num(r, 'taxExcludedAmount') > 10],
      ['taxExcludedAmount.value=>10', (r) => num(r, 'taxExcludedAmount') > 10],
      ['taxExcludedAmount.value=%3E10', (r) => num(r, 'taxExcludedAmount') > 10],
      ['taxExcludedAmount.value.gte=10', (r) => num(r, 'taxExcludedAmount') >= 10],
      ['taxExcludedAmount.value>=10', (r) => num(r, 'taxExcludedAmount') >= 10],
      ['taxExcludedAmount.value%3E%3D10', (r) => num(r, 'taxExcludedAmount') >= 10],
      ['taxExcludedAmount.value=>=10', (r) => num(r, 'taxExcludedAmount') >= 10],
      ['taxExcludedAmount.value.lt=7.5', (r) => num(r, 'taxExcludedAmount') < 7.5],
      ['taxExcludedAmount.value<7.5', (r) => num(r, 'taxExcludedAmount') < 7.5],
      ['taxExcludedAmount.value%3C7.5', (r) => num(r, 'taxExcludedAmount') < 7.5],
      ['taxExcludedAmount.value=<7.5', (r) => num(r, 'taxExcludedAmount') < 7.5],
      ['taxExcludedAmount.value.lte=7.5', (r) => num(r, 'taxExcludedAmount') <= 7.5],
      ['taxExcludedAmount.value<=7.5', (r) => num(r, 'taxExcludedAmount') <= 7.5],
      ['taxExcludedAmount.value%3C%3D7.5', (r) => num(r, 'taxExcludedAmount') <= 7.5],
      ['taxExcludedAmount.value=10.00', (r) => num(r, 'taxExcludedAmount') === 10],
      ['taxExcludedAmount.value.lt=0', (r) => num(r, 'taxExcludedAmount') < 0],
      ['taxExcludedAmount.value.lte=-15', (r) => num(r, 'taxExcludedAmount') <= -15],
      // numbers inside the JSON body (no column)
      ['taxIncludedAmount.value.gte=100', (r) => num(r, 'taxIncludedAmount') >= 100],
      ['taxIncludedAmount.value<2', (r) => num(r, 'taxIncludedAmount') < 2],
      // strings compare as text
      ['name.gt=Roaming', (r) => r.name > 'Roaming'],
      ['name<=Business Mobile 20'.replaceAll(' ', '%20'), (r) => r.name <= 'Business Mobile 20'],
      ['name=Voice%20to%20mobile', (r) => r.name === 'Voice to mobile'],
      ['product.name=Fibre%201G', (r) => r.product?.name === 'Fibre 1G'],
      ['externalId.gte=q10', (r) => r.externalId >= 'q10'],
      // regular expressions, three spellings
      ['name.regex=^Voice', (r) => /^Voice/.test(r.name)],
      ['name=~^Voice', (r) => /^Voice/.test(r.name)],
      ['name%3D~%5EVoice', (r) => /^Voice/.test(r.name)],
      ['name*=[Vv]oice', (r) => /[Vv]oice/.test(r.name)],
      ['name.regex=a$', (r) => /a$/.test(r.name)],
      ['type.regex=^(usage|oneTime)Charge$', (r) => /^(usage|oneTime)Charge$/.test(r.type)],
      // booleans: a column, and JSON booleans inside an array
      ['isBilled=true', (r) => r.isBilled === true],
      ['isBilled=false', (r) => r.isBilled === false],
      ['isBilled.eq=false', (r) => r.isBilled === false],
      ['isBilled.ne=true', (r) => r.isBilled !== true],
      ['characteristic.value=true', (r) => chars(r).some((c) => c.value === true)],
      ['characteristic.value=false', (r) => chars(r).some((c) => c.value === false)],
      // date-times: an indexed column; a date alone is its whole UTC day; offsets are honoured
      ['date.gte=2024-01-10T00:00:00Z', (r) => r.date >= '2024-01-10T00:00:00.000Z'],
      ['date>=2024-01-10T00:00:00Z', (r) => r.date >= '2024-01-10T00:00:00.000Z'],
      ['date=2024-01-05', (r) => r.date.startsWith('2024-01-05')],
      ['date.gt=2024-01-05', (r) => r.date >= '2024-01-06'],
      ['date>2024-01-05', (r) => r.date >= '2024-01-06'],
      ['date.lte=2024-01-05', (r) => r.date < '2024-01-06'],
      ['date<2024-01-05', (r) => r.date < '2024-01-05'],
      ['date.lt=2024-01-05T12:00:00%2B02:00', (r) => r.date < '2024-01-05T10:00:00.000Z'],
      ['date=2024-01-11T09:00:00Z', (r) => r.date === '2024-01-11T09:00:00.000Z'],
      ['date.gte=2024-01-05T10:30:00.000Z&date.lte=2024-01-05T23:59:59.000Z', (r) => r.date >= '2024-01-05T10:30' && r.date <= '2024-01-05T23:59:59.000Z'],
      // date-times inside the JSON body
      ['periodCoverage.startDateTime.gte=2024-01-05', (r) => (r.periodCoverage?.startDateTime ?? '') >= '2024-01-05'],
      ['periodCoverage.endDateTime=2024-02-01', (r) => (r.periodCoverage?.endDateTime ?? '').startsWith('2024-02-01')],
      ['periodCoverage.startDateTime.lt=2024-01-08T00:00:00Z', (r) => r.periodCoverage !== undefined && r.periodCoverage.startDateTime < '2024-01-08'],
      // dot notation into objects and arrays
      ['billingAccount.id=BA-Q1', (r) => r.billingAccount.id === 'BA-Q1'],
      ['product.id=P-BOOK', (r) => r.product?.id === 'P-BOOK'],
      ['appliedTax.taxCategory=reducedVAT', (r) => r.appliedTax.some((t: Json) => t.taxCategory === 'reducedVAT')],
      ['appliedTax.taxRate.lt=0.1', (r) => r.appliedTax.some((t: Json) => t.taxRate < 0.1)],
      ['appliedTax.taxAmount.value.gt=20', (r) => r.appliedTax.some((t: Json) => t.taxAmount.value > 20)],
      ['characteristic.name=minutes', (r) => chars(r).some((c) => c.name === 'minutes')],
      // an ordering with a number compares numbers only: "many" and "voice" are not > 40
      ['characteristic.value.gt=40', (r) => chars(r).some((c) => typeof c.value === 'number' && c.value > 40)],
      ['characteristic.value<10', (r) => chars(r).some((c) => typeof c.value === 'number' && c.value < 10)],
      ['characteristic.value=many', (r) => chars(r).some((c) => c.value === 'many')],
      ['characteristic.name.ne=minutes', (r) => !chars(r).some((c) => c.name === 'minutes')],
      // OR within one attribute, four spellings; ne with a list means none of them
      ['type=usageCharge,recurringCharge', (r) => ['usageCharge', 'recurringCharge'].includes(r.type)],
      ['type=usageCharge;recurringCharge', (r) => ['usageCharge', 'recurringCharge'].includes(r.type)],
      ['type=usageCharge;type=recurringCharge', (r) => ['usageCharge', 'recurringCharge'].includes(r.type)],
      ['type=usageCharge&type=recurringCharge', (r) => ['usageCharge', 'recurringCharge'].includes(r.type)],
      ['billingAccount.id=BA-Q1,BA-Q3', (r) => ['BA-Q1', 'BA-Q3'].includes(r.billingAccount.id)],
      ['type.ne=usageCharge,recurringCharge', (r) => !['usageCharge', 'recurringCharge'].includes(r.type)],
      ['type!=usageCharge&type!=oneTimeCharge', (r) => !['usageCharge', 'oneTimeCharge'].includes(r.type)],
      // AND across keys, and two bounds on one key
      ['type=usageCharge&billingAccount.id=BA-Q1', (r) => r.type === 'usageCharge' && r.billingAccount.id === 'BA-Q1'],
      ['taxExcludedAmount.value.gt=2&taxExcludedAmount.value.lt=50', (r) => num(r, 'taxExcludedAmount') > 2 && num(r, 'taxExcludedAmount') < 50],
      ['isBilled=true&date.gte=2024-01-10&product.id=P-MOB,P-BOOK', (r) => r.isBilled && r.date >= '2024-01-10' && ['P-MOB', 'P-BOOK'].includes(r.product?.id)],
      ['name.regex=oice&characteristic.name=minutes&taxExcludedAmount.value>=2', (r) => /oice/.test(r.name) && chars(r).some((c) => c.name === 'minutes') && num(r, 'taxExcludedAmount') >= 2]
    ]

    for (const [query, predicate] of rateCases) {
      it(`appliedCustomerBillingRate?${query}`, async () => {
        const expected = rates.filter(predicate)
        assert.ok(expected.length > 0 && expected.length < rates.length, `the case must select some rates but not all (${expected.length})`)
        assert.deepEqual(ids(await listAll(server, 'appliedCustomerBillingRate', query)), ids(expected))
      })
    }

    const billCases: Array<[string, (b: Json) => boolean]> = [
      ['billingAccount.id=BA-Q1', (b) => b.billingAccount.id === 'BA-Q1'],
      ['state=onHold', (b) => b.state === 'onHold'],
      ['state.ne=new', (b) => b.state !== 'new'],
      ['state=validated,onHold', (b) => ['validated', 'onHold'].includes(b.state)],
      ['amountDue.value.gt=100', (b) => num(b, 'amountDue') > 100],
      ['amountDue.value>100', (b) => num(b, 'amountDue') > 100],
      ['amountDue.value%3C%3D59.81', (b) => num(b, 'amountDue') <= 59.81],
      ['amountDue.unit=USD', (b) => b.amountDue.unit === 'USD'],
      ['remainingAmount.value.lt=100&amountDue.unit=EUR', (b) => num(b, 'remainingAmount') < 100 && b.amountDue.unit === 'EUR'],
      ['taxItem.taxCategory=reducedVAT', (b) => b.taxItem.some((t: Json) => t.taxCategory === 'reducedVAT')],
      ['taxItem.taxCategory.ne=reducedVAT', (b) => !b.taxItem.some((t: Json) => t.taxCategory === 'reducedVAT')],
      ['taxItem.taxAmount.value.gte=9.97', (b) => b.taxItem.some((t: Json) => t.taxAmount.value >= 9.97)],
      ['taxExcludedAmount.value.lte=49.84', (b) => num(b, 'taxExcludedAmount' as 'amountDue') <= 49.84],
      ['billNo.regex=^INV-0%2B[12]$', (b) => /^INV-0+[12]$/.test(b.billNo)],
      ['billNo>INV-00000003', (b) => b.billNo > 'INV-00000003'],
      ['billDate=2024-02-01', (b) => b.billDate.startsWith('2024-02-01')],
      ['billingPeriod.startDateTime.lt=2024-01-02', (b) => b.billingPeriod.startDateTime < '2024-01-02'],
      ['billingAccount.id=BA-Q2,BA-Q3&state=new', (b) => ['BA-Q2', 'BA-Q3'].includes(b.billingAccount.id) && b.state === 'new']
    ]

    for (const [query, predicate] of billCases) {
      it(`customerBill?${query}`, async () => {
        const expected = bills.filter(predicate)
        assert.ok(expected.length > 0 && expected.length < bills.length, `the case must select some bills but not all (${expected.length})`)
        assert.deepEqual(ids(await listAll(server, 'customerBill', query)), ids(expected))
      })
    }

    it('filters customerBillOnDemand on state, billingAccount.id and relatedParty.id', async () => {
      const all = await listAll(server, 'customerBillOnDemand')
      assert.equal(all.length, 2)
      assert.deepEqual(ids(await listAll(server, 'customerBillOnDemand', 'state=rejected')), ids(all))
      assert.deepEqual(await listAll(server, 'customerBillOnDemand', 'state=done'), [])
      assert.deepEqual(ids(await listAll(server, 'customerBillOnDemand', 'billingAccount.id=BA-EMPTY')), [all[0].id])
      assert.deepEqual(ids(await listAll(server, 'customerBillOnDemand', 'relatedParty.id=PTY-1')), [all[1].id])
      assert.deepEqual(ids(await listAll(server, 'customerBillOnDemand', 'name.regex=left$')), [all[0].id])
    })

    it('matches nothing, with an empty 200, when no resource qualifies', async () => {
      for (const query of ['type=noSuchType', 'billingAccount.id=nobody', 'taxExcludedAmount.value.gt=1000000', 'unknownAttribute=x', 'date.lt=1999-01-01']) {
        assert.deepEqual(await listAll(server, 'appliedCustomerBillingRate', query), [], query)
      }
    })

    it('a filter and ne on an attribute some resources lack: ne keeps the ones without it', async () => {
      const withoutProduct = rates.filter((r) => r.product === undefined)
      assert.equal(withoutProduct.length, 1)
      const notBook = await listAll(server, 'appliedCustomerBillingRate', 'product.id.ne=P-BOOK')
      assert.deepEqual(ids(notBook), ids(rates.filter((r) => r.product?.id !== 'P-BOOK')))
      assert.ok(ids(notBook).includes(withoutProduct[0].id))
    })

    const sortCases: Array<[string, Array<[(r: Json) => unknown, 'asc' | 'desc']>]> = [
      ['sort=date', [[(r) => r.date, 'asc']]],
      ['sort=-date', [[(r) => r.date, 'desc']]],
      ['sort=-taxExcludedAmount.value', [[(r) => num(r, 'taxExcludedAmount'), 'desc']]],
      ['sort=taxIncludedAmount.value', [[(r) => num(r, 'taxIncludedAmount'), 'asc']]],
      ['sort=name', [[(r) => r.name, 'asc']]],
      ['sort=%2Bname', [[(r) => r.name, 'asc']]],
      ['sort=type,-date', [[(r) => r.type, 'asc'], [(r) => r.date, 'desc']]],
      ['sort=billingAccount.id,-taxExcludedAmount.value', [[(r) => r.billingAccount.id, 'asc'], [(r) => num(r, 'taxExcludedAmount'), 'desc']]],
      ['sort=-isBilled,name', [[(r) => (r.isBilled ? 1 : 0), 'desc'], [(r) => r.name, 'asc']]],
      ['sort=product.id', [[(r) => r.product?.id, 'asc']]],
      ['sort=-product.id', [[(r) => r.product?.id, 'desc']]],
      ['sort=type&sort=-name', [[(r) => r.type, 'asc'], [(r) => r.name, 'desc']]],
      ['sort=-id', [[(r) => r.id, 'desc']]]
    ]

    for (const [query, keys] of sortCases) {
      it(`appliedCustomerBillingRate?${query}`, async () => {
        const expected = sortedBy(rates, keys)
        assert.notDeepEqual(ids(expected), ids(rates), 'the sort must change the default order')
        assert.deepEqual(ids(await listAll(server, 'appliedCustomerBillingRate', query)), ids(expected))
      })
    }

    it('sorts bills on several keys, ascending and descending, together with a filter', async () => {
      const got = await listAll(server, 'customerBill', 'sort=billingAccount.id,-amountDue.value')
      assert.deepEqual(ids(got), ids(sortedBy(bills, [[(b) => b.billingAccount.id, 'asc'], [(b) => num(b, 'amountDue'), 'desc']])))
      const filtered = await listAll(server, 'customerBill', 'amountDue.unit=EUR&sort=-billNo')
      assert.deepEqual(ids(filtered), ids(sortedBy(bills.filter((b) => b.amountDue.unit === 'EUR'), [[(b) => b.billNo, 'desc']])))
    })

    it('pages with offset and limit: 206 while truncated, X-Total-Count, X-Result-Count and a Link header', async () => {
      const all = sortedBy(rates, [[(r) => r.date, 'asc']])
      const total = String(all.length)

      const first = await list(server, 'appliedCustomerBillingRate', 'sort=date&limit=5')
      assert.equal(first.status, 206)
      assert.equal(first.headers['x-total-count'], total)
      assert.equal(first.headers['x-result-count'], '5')
      assert.deepEqual(ids(first.body), ids(all.slice(0, 5)))
      let rel = links(first.headers.link)
      assert.deepEqual(Object.keys(rel).sort(), ['first', 'last', 'next', 'self'])
      assert.deepEqual(pageOf(rel.self!), { offset: '0', limit: '5' })
      assert.deepEqual(pageOf(rel.first!), { offset: '0', limit: '5' })
      assert.deepEqual(pageOf(rel.next!), { offset: '5', limit: '5' })
      assert.deepEqual(pageOf(rel.last!), { offset: '10', limit: '5' })
      assert.equal(rel.next!.searchParams.get('sort'), 'date', 'links keep the rest of the query')
      assert.equal(rel.next!.origin + rel.next!.pathname, `${server.api}/appliedCustomerBillingRate`)

      const middle = await list(server, 'appliedCustomerBillingRate', 'sort=date&offset=5&limit=5')
      assert.equal(middle.status, 206)
      assert.deepEqual(ids(middle.body), ids(all.slice(5, 10)))
      rel = links(middle.headers.link)
      assert.deepEqual(pageOf(rel.prev!), { offset: '0', limit: '5' })
      assert.deepEqual(pageOf(rel.next!), { offset: '10', limit: '5' })

      const last = await list(server, 'appliedCustomerBillingRate', 'sort=date&offset=10&limit=5')
      assert.equal(last.status, 206, 'the last page still leaves matches out')
      assert.equal(last.headers['x-result-count'], String(all.length - 10))
      assert.deepEqual(ids(last.body), ids(all.slice(10)))
      rel = links(last.headers.link)
      assert.equal(rel.next, undefined)
      assert.deepEqual(pageOf(rel.prev!), { offset: '5', limit: '5' })
    })

    it('answers 200 when the page holds every match', async () => {
      for (const query of [`limit=${rates.length}`, 'limit=1000', 'offset=0', 'type=recurringCharge&limit=2']) {
        const reply = await list(server, 'appliedCustomerBillingRate', query)
        assert.equal(reply.status, 200, query)
        assert.equal(reply.headers['x-total-count'], reply.headers['x-result-count'], query)
        const rel = links(reply.headers.link)
        assert.equal(rel.next, undefined, query)
        assert.equal(rel.prev, undefined, query)
      }
    })

    it('counts only the filtered matches and walks them by following next links', async () => {
      const expected = rates.filter((r) => r.type === 'usageCharge')
      const seen: Json[] = []
      let path: string | undefined = `${API_PATH}/appliedCustomerBillingRate?type=usageCharge&limit=2`
      while (path !== undefined) {
        const reply = await rawGet(server, path)
        assert.equal(reply.headers['x-total-count'], String(expected.length))
        seen.push(...reply.body)
        const next = links(reply.headers.link).next
        path = next ? next.pathname + next.search : undefined
      }
      assert.deepEqual(ids(seen), ids(expected))
    })

    it('offset past the end and limit=0 give an empty body with the total count', async () => {
      for (const query of [`offset=${rates.length}`, 'offset=999&limit=3', 'limit=0']) {
        const reply = await list(server, 'appliedCustomerBillingRate', query)
        assert.deepEqual(reply.body, [], query)
        assert.equal(reply.headers['x-total-count'], String(rates.length), query)
        assert.equal(reply.headers['x-result-count'], '0', query)
      }
    })

    it('fields keeps id, href and the selected attributes, also inside objects and arrays', async () => {
      const selected = await listAll(server, 'appliedCustomerBillingRate', 'fields=name,date')
      assert.deepEqual(selected, rates.map((r) => ({ id: r.id, href: r.href, date: r.date, name: r.name })))
      const nested = await listAll(server, 'appliedCustomerBillingRate', 'fields=billingAccount.id,characteristic.name&product.id=P-FIBRE')
      assert.deepEqual(nested, rates.filter((r) => r.product?.id === 'P-FIBRE').map((r) => ({
        id: r.id, href: r.href, billingAccount: { id: r.billingAccount.id },
        ...(r.characteristic ? { characteristic: r.characteristic.map((c: Json) => ({ name: c.name })) } : {})
      })))
      const none = await listAll(server, 'customerBill', 'fields=none')
      assert.deepEqual(none, bills.map((b) => ({ id: b.id, href: b.href })))
      const repeated = await listAll(server, 'customerBill', 'fields=state&fields=billNo')
      assert.deepEqual(repeated, bills.map((b) => ({ id: b.id, href: b.href, billNo: b.billNo, state: b.state })))
    })

    it('fields, filters, sort and paging combine in one request', async () => {
      const reply = await list(server, 'appliedCustomerBillingRate', 'type=usageCharge&sort=-date&fields=date,type&offset=1&limit=2')
      assert.equal(reply.status, 206)
      const expected = sortedBy(rates.filter((r) => r.type === 'usageCharge'), [[(r) => r.date, 'desc']]).slice(1, 3)
      assert.deepEqual(reply.body, expected.map((r) => ({ id: r.id, href: r.href, date: r.date, type: r.type })))
    })

    it('fields works on retrieve, for each resource', async () => {
      const rate = rates[0]
      const one = await rawGet(server, `${API_PATH}/appliedCustomerBillingRate/${rate.id}?fields=isBilled,taxExcludedAmount`)
      assert.equal(one.status, 200)
      assert.deepEqual(one.body, { id: rate.id, href: rate.href, isBilled: rate.isBilled, taxExcludedAmount: rate.taxExcludedAmount })
      const bill = bills[0]
      const b = await rawGet(server, `${API_PATH}/customerBill/${bill.id}?fields=amountDue.value,state`)
      assert.deepEqual(b.body, { id: bill.id, href: bill.href, amountDue: { value: bill.amountDue.value }, state: bill.state })
      const [request] = await listAll(server, 'customerBillOnDemand')
      const r = await rawGet(server, `${API_PATH}/customerBillOnDemand/${request.id}?fields=state`)
      assert.deepEqual(r.body, { id: request.id, href: request.href, state: 'rejected' })
    })
  })

  describe(`TMF630 maximum page size (${kind})`, () => {
    let server: TestServer
    const all: Json[] = []

    before(async () => {
      server = await startTestServer(kind, { jobs: false, env: { MAX_PAGE_SIZE: '3' } })
      for (const r of RATES.slice(0, 7)) await postJson(server, '/appliedCustomerBillingRate', rateBody(r))
      // The full list, read page by page with the configured maximum.
      for (let offset = 0; offset < 7; offset += 3) all.push(...(await list(server, 'appliedCustomerBillingRate', `offset=${offset}`)).body)
    })
    after(async () => { await server.close() })

    it('without limit, a list answers the first MAX_PAGE_SIZE matches as a 206 with the total and a next link', async () => {
      assert.deepEqual(all.map((r) => r.externalId).sort(), RATES.slice(0, 7).map((r) => r.ext))
      assert.deepEqual(ids(all), ids(all).sort(), 'the default order is by id')
      const reply = await list(server, 'appliedCustomerBillingRate')
      assert.equal(reply.status, 206)
      assert.equal(reply.headers['x-total-count'], '7')
      assert.equal(reply.headers['x-result-count'], '3')
      assert.deepEqual(ids(reply.body), ids(all.slice(0, 3)))
      assert.deepEqual(pageOf(links(reply.headers.link).next!), { offset: '3', limit: '3' })
      assert.deepEqual(pageOf(links(reply.headers.link).last!), { offset: '6', limit: '3' })
    })

    it('a larger limit is clamped to MAX_PAGE_SIZE, a smaller one is honoured', async () => {
      const clamped = await list(server, 'appliedCustomerBillingRate', 'limit=50')
      assert.equal(clamped.status, 206)
      assert.equal(clamped.body.length, 3)
      assert.deepEqual(pageOf(links(clamped.headers.link).self!), { offset: '0', limit: '3' })
      const smaller = await list(server, 'appliedCustomerBillingRate', 'limit=2&offset=5')
      assert.deepEqual(ids(smaller.body), ids(all.slice(5, 7)))
      assert.equal(smaller.headers['x-result-count'], '2')
    })

    it('a filtered list that fits in one page is a 200', async () => {
      const reply = await list(server, 'appliedCustomerBillingRate', 'billingAccount.id=BA-Q1&type=usageCharge')
      assert.equal(reply.status, 200)
      assert.equal(reply.body.length, 2)
    })
  })
}
