/**
 * What TM Forum's conformance kit CTK-Customer_Bill-4.0 does, in the project's own words: its 20 requests,
 * in its order, with its headers and bodies, and its checks (made stricter where the kit is lax: every list
 * element is checked, `fields` must return exactly the selection, `?id=`/`?isBilled=` must really filter).
 * The data comes from the engine: rates are posted through the ingest extension and billed by a bill run.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { runBillRun } from '../../src/domain/bill-run.ts'
import { systemClock } from '../../src/domain/clock.ts'
import { billingOptions } from '../../src/context.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'

type Json = any

interface Reply { status: number; headers: Headers; text: string; body: Json }

// Every CTK request carries exactly these two headers, GETs included.
const CTK_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' }

async function ctk (method: string, url: string, body?: string): Promise<Reply> {
  const res = await fetch(url, { method, headers: CTK_HEADERS, ...(body !== undefined ? { body } : {}) })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, body: text === '' ? undefined : JSON.parse(text) }
}

async function postJson (url: string, body: unknown): Promise<Reply> {
  return ctk('POST', url, JSON.stringify(body))
}

function assertJsonList (reply: Reply): Json[] {
  assert.equal(reply.status, 200, reply.text)
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/)
  assert.ok(Array.isArray(reply.body), 'a list answers with a JSON array')
  assert.equal(reply.headers.get('x-total-count'), String(reply.body.length))
  assert.equal(reply.headers.get('x-result-count'), String(reply.body.length))
  return reply.body
}

function assertTmfError (reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text)
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(reply.body.code, code)
  assert.equal(reply.body.status, String(status))
  assert.equal(reply.body['@type'], 'Error')
  assert.equal(typeof reply.body.reason, 'string')
  assert.equal(typeof reply.body.message, 'string')
}

function assertResourceIdentity (instance: Json, api: string, collection: string): void {
  assert.equal(typeof instance.id, 'string', 'id is a string')
  assert.ok(instance.id.length > 0)
  assert.equal(instance.href, `${api}/${collection}/${instance.id}`, 'href is the absolute URL of the resource')
}

/** The CTK's mandatory attributes and its JSON schema (billDocument[].id and billingAccount.id) for a CustomerBill. */
function assertCustomerBill (bill: Json, api: string): void {
  assertResourceIdentity(bill, api, 'customerBill')
  assert.ok(Array.isArray(bill.billDocument) && bill.billDocument.length > 0, `bill ${bill.id} has a billDocument`)
  for (const doc of bill.billDocument) assert.equal(typeof doc.id, 'string', 'every billDocument has an id')
  assert.equal(typeof bill.billingAccount?.id, 'string', 'billingAccount.id')
  assert.equal(bill['@type'], 'CustomerBill')
}

/** The CTK's schema for a CustomerBillOnDemand: billingAccount.id, or a relatedParty with id and @referredType. */
function assertOnDemand (request: Json, api: string): void {
  assertResourceIdentity(request, api, 'customerBillOnDemand')
  const viaAccount = typeof request.billingAccount?.id === 'string'
  const viaParty = typeof request.relatedParty?.id === 'string' && typeof request.relatedParty?.['@referredType'] === 'string'
  assert.ok(viaAccount || viaParty, `request ${request.id} names a billingAccount or a relatedParty`)
  assert.equal(request['@type'], 'CustomerBillOnDemand')
}

function assertRate (rate: Json, api: string): void {
  assertResourceIdentity(rate, api, 'appliedCustomerBillingRate')
  assert.equal(typeof rate.isBilled, 'boolean', `rate ${rate.id} has a boolean isBilled`)
}

function assertOnlyKeys (instance: Json, keys: string[]): void {
  assert.deepEqual(Object.keys(instance).sort(), [...keys].sort())
}

async function waitFor (url: string, done: (body: Json) => boolean): Promise<Json> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const reply = await ctk('GET', url)
    if (done(reply.body)) return reply.body
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${url}: ${reply.text}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

interface RateSpec { externalId: string; account: string; date: string; value: string; unit?: string }

// January 2024 is billed by the bill run; A0815's February rate is left for the CTK's on-demand bill, and
// BA-CTK-3's stays unbilled throughout, so the rate list holds both isBilled values.
const RATES: RateSpec[] = [
  { externalId: 'ctk-1', account: 'BA-CTK-1', date: '2024-01-04T09:00:00Z', value: '39.99' },
  { externalId: 'ctk-2', account: 'BA-CTK-1', date: '2024-01-12T09:00:00Z', value: '2.35' },
  { externalId: 'ctk-3', account: 'BA-CTK-2', date: '2024-01-08T09:00:00Z', value: '420.00' },
  { externalId: 'ctk-4', account: 'BA-CTK-2', date: '2024-01-09T09:00:00Z', value: '1250.00', unit: 'USD' },
  { externalId: 'ctk-5', account: 'A0815', date: '2024-01-15T09:00:00Z', value: '24.99' },
  { externalId: 'ctk-6', account: 'A0815', date: '2024-02-03T09:00:00Z', value: '7.50' },
  { externalId: 'ctk-7', account: 'BA-CTK-3', date: '2024-02-05T09:00:00Z', value: '3.00' }
]

async function seed (server: TestServer): Promise<void> {
  for (const r of RATES) {
    const reply = await postJson(`${server.api}/appliedCustomerBillingRate`, {
      externalId: r.externalId, date: r.date, type: 'usageCharge', name: `Charge ${r.externalId}`,
      billingAccount: { id: r.account, name: `Account ${r.account}` }, product: { id: `P-${r.account}`, name: 'Plan' },
      taxExcludedAmount: { unit: r.unit ?? 'EUR', value: r.value }
    })
    assert.equal(reply.status, 201, reply.text)
  }
  const result = await runBillRun({ asOf: new Date('2024-02-01T00:00:00Z'), defaultCycleDay: 1 },
    { store: server.store, clock: systemClock, billing: billingOptions(server.config, server.store) })
  assert.equal(result.bills, 4, 'one January bill per account and currency')
}

for (const kind of await storeKinds()) {
  describe(`CTK-Customer_Bill-4.0, request by request (${kind})`, () => {
    let server: TestServer
    let api: string
    // What the kit keeps in its Postman globals between requests.
    const globals: Record<string, Json> = {}
    let rateList: Json[] = []

    before(async () => {
      server = await startTestServer(kind)
      api = server.api
      await seed(server)
    })
    after(async () => { await server.close() })

    it('N1 GET /customerBill: every bill carries id, absolute href, billDocument[0].id and billingAccount.id', async () => {
      const bills = assertJsonList(await ctk('GET', `${api}/customerBill`))
      assert.equal(bills.length, 4)
      for (const bill of bills) assertCustomerBill(bill, api)
      const last = bills[bills.length - 1]
      globals.HREFCB01 = last.href
      globals.IDCB01 = last.id
      globals.BDID01 = last.billDocument[0].id
      const followed = await ctk('GET', last.href)
      assert.equal(followed.status, 200)
      assert.deepEqual(followed.body, last, 'following href gives the same bill')
    })

    it('N2 GET /customerBill?fields=href: exactly id and href', async () => {
      const bills = assertJsonList(await ctk('GET', `${api}/customerBill?fields=href`))
      assert.equal(bills.length, 4)
      for (const bill of bills) {
        assertOnlyKeys(bill, ['id', 'href'])
        assertResourceIdentity(bill, api, 'customerBill')
      }
    })

    it('N3 GET /customerBill?fields=id: exactly id and href', async () => {
      const bills = assertJsonList(await ctk('GET', `${api}/customerBill?fields=id`))
      assert.equal(bills.length, 4)
      for (const bill of bills) assertOnlyKeys(bill, ['id', 'href'])
    })

    it('N4 GET /customerBill?id={{IDCB01}}: only that bill, as N1 saw it', async () => {
      const bills = assertJsonList(await ctk('GET', `${api}/customerBill?id=${globals.IDCB01}`))
      assert.equal(bills.length, 1)
      assertCustomerBill(bills[0], api)
      assert.equal(bills[0].id, globals.IDCB01)
      assert.equal(bills[0].href, globals.HREFCB01)
      assert.equal(bills[0].billDocument[0].id, globals.BDID01)
    })

    it('N5 PATCH /customerBill/{{IDCB01}} with Content-Type application/json puts the bill onHold', async () => {
      const previous = await ctk('GET', globals.HREFCB01)
      assert.equal(previous.body.state, 'new')
      // The kit's body, byte for byte.
      const reply = await ctk('PATCH', `${api}/customerBill/${globals.IDCB01}`, '{\n"state": "onHold"\n}')
      assert.equal(reply.status, 200, reply.text)
      assert.ok(!Array.isArray(reply.body), 'a PATCH answers with the resource, not an array')
      assertCustomerBill(reply.body, api)
      assert.equal(reply.body.state, 'onHold')
      const { state: _s, lastUpdate: _l, ...unchanged } = reply.body
      const { state: _bs, lastUpdate: _bl, ...earlier } = previous.body
      assert.deepEqual(unchanged, earlier, 'nothing but state and lastUpdate changed')
      const reread = await ctk('GET', globals.HREFCB01)
      assert.deepEqual(reread.body, reply.body, 'the change is stored')
    })

    it('N6 GET /customerBill/<unknown id>: 404 with a TMF Error', async () => {
      assertTmfError(await ctk('GET', `${api}/customerBill/814738f6-4059-4a95-8d34-e859dce29b7c`), 404, 'NOT_FOUND')
    })

    it('N7 POST /customerBillOnDemand for A0815: 201, Location, billingAccount kept', async () => {
      const reply = await ctk('POST', `${api}/customerBillOnDemand`, '{\n    "billingAccount": {\n        "id": "A0815"\n    }\n}')
      assert.equal(reply.status, 201, reply.text)
      assert.ok(!Array.isArray(reply.body))
      assertOnDemand(reply.body, api)
      assert.equal(reply.headers.get('location'), reply.body.href)
      assert.equal(reply.body.billingAccount.id, 'A0815')
      assert.ok(['inProgress', 'done'].includes(reply.body.state), `state ${reply.body.state}`)
      globals.HREFCBOD01 = reply.body.href
      globals.IDCBOD01 = reply.body.id
    })

    it('N8 GET /customerBillOnDemand: every request names its billing account, and N7\'s is listed', async () => {
      const requests = assertJsonList(await ctk('GET', `${api}/customerBillOnDemand`))
      for (const request of requests) assertOnDemand(request, api)
      const created = requests.find((r) => r.id === globals.IDCBOD01)
      assert.equal(created?.href, globals.HREFCBOD01)
    })

    it('N9 GET /customerBillOnDemand/{{IDCBOD01}}', async () => {
      const reply = await ctk('GET', `${api}/customerBillOnDemand/${globals.IDCBOD01}`)
      assert.equal(reply.status, 200, reply.text)
      assert.ok(!Array.isArray(reply.body))
      assertOnDemand(reply.body, api)
      assert.equal(reply.body.id, globals.IDCBOD01)
      assert.equal(reply.body.href, globals.HREFCBOD01)
    })

    it('N10 GET /customerBillOnDemand?fields=href: exactly id and href', async () => {
      const requests = assertJsonList(await ctk('GET', `${api}/customerBillOnDemand?fields=href`))
      assert.ok(requests.length >= 1)
      for (const request of requests) assertOnlyKeys(request, ['id', 'href'])
    })

    it('N11 GET /customerBillOnDemand?fields=id: exactly id and href', async () => {
      const requests = assertJsonList(await ctk('GET', `${api}/customerBillOnDemand?fields=id`))
      assert.ok(requests.length >= 1)
      for (const request of requests) assertOnlyKeys(request, ['id', 'href'])
    })

    it('N12 GET /customerBillOnDemand?id={{IDCBOD01}}: only that request', async () => {
      const requests = assertJsonList(await ctk('GET', `${api}/customerBillOnDemand?id=${globals.IDCBOD01}`))
      assert.equal(requests.length, 1)
      assertOnDemand(requests[0], api)
      assert.equal(requests[0].href, globals.HREFCBOD01)
    })

    it('N13 GET /customerBillOnDemand/<unknown id>: 404 with a TMF Error', async () => {
      assertTmfError(await ctk('GET', `${api}/customerBillOnDemand/0e34c2dd-fd61-4ca3-a42b-c3a64f3c398b`), 404, 'NOT_FOUND')
    })

    it('N14 GET /appliedCustomerBillingRate: every rate has id, href and a boolean isBilled', async () => {
      // N7's request bills A0815's open rate in the background; once it is done the rates hold still, so the
      // kit's later requests (N16, N18) can be compared with this list.
      await waitFor(globals.HREFCBOD01, (r) => r.state !== 'inProgress')
      rateList = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate`))
      assert.equal(rateList.length, RATES.length)
      for (const rate of rateList) assertRate(rate, api)
      for (const rate of rateList) {
        if (rate.isBilled) assert.equal(typeof rate.bill?.id, 'string', 'a billed rate names its bill')
        else assert.equal(rate.bill, undefined, 'an unbilled rate has no bill')
      }
      // As the kit does: the last element's isBilled is what N18 filters on.
      globals.ISBILLEDACBR01 = rateList[rateList.length - 1].isBilled
    })

    it('N15 GET /appliedCustomerBillingRate?fields=id: exactly id and href', async () => {
      const rates = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?fields=id`))
      assert.equal(rates.length, RATES.length)
      for (const rate of rates) assertOnlyKeys(rate, ['id', 'href'])
      const last = rates[rates.length - 1]
      globals.HREFACBR01 = last.href
      globals.IDACBR01 = last.id
    })

    it('N16 GET /appliedCustomerBillingRate?id={{IDACBR01}}: only that rate', async () => {
      const rates = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?id=${globals.IDACBR01}`))
      assert.equal(rates.length, 1)
      assertRate(rates[0], api)
      assert.equal(rates[0].href, globals.HREFACBR01)
      assert.equal(rates[0].isBilled, rateList.find((r) => r.id === globals.IDACBR01)?.isBilled)
    })

    it('N17 GET /appliedCustomerBillingRate?fields=isBilled: exactly id, href and isBilled', async () => {
      const rates = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?fields=isBilled`))
      assert.equal(rates.length, RATES.length)
      for (const rate of rates) {
        assertOnlyKeys(rate, ['id', 'href', 'isBilled'])
        assert.equal(typeof rate.isBilled, 'boolean')
      }
    })

    it('N18 GET /appliedCustomerBillingRate?isBilled={{ISBILLEDACBR01}}: the value arrives as a string and filters', async () => {
      const wanted: boolean = globals.ISBILLEDACBR01
      const rates = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?isBilled=${String(wanted)}`))
      assert.ok(rates.length > 0)
      for (const rate of rates) assertRate(rate, api)
      assert.deepEqual(rates.map((r) => r.id), rateList.filter((r) => r.isBilled === wanted).map((r) => r.id))
    })

    it('N18 with isBilled=true and isBilled=false: the two answers split the list', async () => {
      const billed = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?isBilled=true`))
      const unbilled = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?isBilled=false`))
      assert.ok(billed.length > 0 && unbilled.length > 0)
      assert.ok(billed.every((r) => r.isBilled === true))
      assert.ok(unbilled.every((r) => r.isBilled === false))
      assert.deepEqual([...billed, ...unbilled].map((r) => r.id).sort(), rateList.map((r) => r.id).sort())
    })

    it('N19 GET /appliedCustomerBillingRate?fields=href: exactly id and href', async () => {
      const rates = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?fields=href`))
      assert.equal(rates.length, RATES.length)
      for (const rate of rates) assertOnlyKeys(rate, ['id', 'href'])
    })

    it('N20 GET /appliedCustomerBillingRate/<unknown id>: 404 with a TMF Error', async () => {
      assertTmfError(await ctk('GET', `${api}/appliedCustomerBillingRate/2fe07e00-e489-4bc5-96f7-08a980a63452`), 404, 'NOT_FOUND')
    })

    it('the on-demand request of N7 ends done: a bill for A0815 from its unbilled rate, the rate marked billed', async () => {
      const done = await waitFor(globals.HREFCBOD01, (r) => r.state !== 'inProgress')
      assert.equal(done.state, 'done', done.description)
      assert.equal(typeof done.customerBill?.id, 'string')
      const bill = await ctk('GET', done.customerBill.href)
      assert.equal(bill.status, 200)
      assertCustomerBill(bill.body, api)
      assert.equal(bill.body.billingAccount.id, 'A0815')
      assert.equal(bill.body.runType, 'offCycle')
      // 7.50 EUR plus the default 20 % VAT.
      assert.deepEqual(bill.body.amountDue, { unit: 'EUR', value: 9 })
      const rates = assertJsonList(await ctk('GET', `${api}/appliedCustomerBillingRate?externalId=ctk-6`))
      assert.equal(rates.length, 1)
      assert.equal(rates[0].isBilled, true)
      assert.equal(rates[0].bill.id, done.customerBill.id)
      assert.match(done.description, /INV-/)
    })

    it('an on-demand request for an account with nothing to bill ends rejected, saying why', async () => {
      const reply = await postJson(`${api}/customerBillOnDemand`, { billingAccount: { id: 'BA-CTK-1' } })
      assert.equal(reply.status, 201, reply.text)
      const rejected = await waitFor(reply.body.href, (r) => r.state !== 'inProgress')
      assert.equal(rejected.state, 'rejected')
      assert.equal(rejected.customerBill, undefined)
      assert.match(rejected.description, /BA-CTK-1 has no unbilled charges/)
    })
  })
}
