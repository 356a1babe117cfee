import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '../../src/domain/clock.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'
import { billRun, call, listBills, postRates, waitFor } from './engine-helpers.ts'

/**
 * POST /customerBillOnDemand: accepted at once as inProgress, billed in the background by the same engine
 * as the bill run (runType offCycle), then done, or rejected with the reason in `description`.
 */

const NOW = '2026-03-10T12:00:00.000Z'

function rate (key: string, account: string, value: string, date: string): Record<string, unknown> {
  return { externalId: key, date, billingAccount: { id: account }, taxExcludedAmount: { unit: 'EUR', value } }
}

async function settle (server: TestServer, id: string): Promise<any> {
  return waitFor(`on-demand request ${id} to finish`, async () => {
    const res = await call('GET', `${server.api}/customerBillOnDemand/${id}`)
    assert.equal(res.status, 200)
    return res.body.state === 'inProgress' ? undefined : res.body
  })
}

for (const kind of await storeKinds()) {
  describe(`on-demand bills (${kind})`, () => {
    let server: TestServer
    const clock = new FakeClock(NOW)

    before(async () => {
      server = await startTestServer(kind, { clock })
      await postRates(server, [
        rate('od-feb', 'ACC-OD', '10.00', '2026-02-15T09:00:00Z'),
        rate('od-mar-1', 'ACC-OD', '2.50', '2026-03-03T09:00:00Z'),
        rate('od-mar-2', 'ACC-OD', '0.125', '2026-03-09T09:00:00Z'),
        rate('other', 'ACC-OTHER', '5.00', '2026-03-04T09:00:00Z')
      ])
    })
    after(async () => { await server?.close() })

    test('an account with unbilled charges gets an offCycle bill of all of them, up to now', async () => {
      const created = await call('POST', `${server.api}/customerBillOnDemand`, { name: 'final bill', billingAccount: { id: 'ACC-OD' } })
      assert.equal(created.status, 201)
      assert.equal(created.body.state, 'inProgress')
      assert.equal(created.headers.get('location'), created.body.href)

      const done = await settle(server, created.body.id)
      assert.equal(done.state, 'done')
      assert.match(done.description, /^Bill INV-00000001 produced$/)
      assert.equal(done.customerBill.href, `${server.api}/customerBill/${done.customerBill.id}`)

      const bill = (await call('GET', done.customerBill.href)).body
      assert.equal(bill.runType, 'offCycle')
      assert.equal(bill.category, 'normal')
      assert.equal(bill.billDate, NOW)
      assert.deepEqual(bill.billingPeriod, { startDateTime: '2026-03-01T00:00:00.000Z', endDateTime: NOW })
      // 10.00 + 2.50 + 0.125 = 12.625 → 12.63 (half up); 20 % VAT on the exact sum: 2.525 → 2.53.
      assert.deepEqual([bill.taxExcludedAmount.value, bill.taxItem[0].taxAmount.value, bill.amountDue.value], [12.63, 2.53, 15.16])
      assert.equal(bill.billingAccount.id, 'ACC-OD')

      // The other account's charge was not touched, and the next on-cycle run does not bill ACC-OD again.
      const run = await billRun(server, '2026-04-01T01:00:00.000Z', clock)
      assert.equal(run.bills, 1)
      const bills = await listBills(server)
      assert.deepEqual(bills.map((b) => [b.billingAccount.id, b.runType]), [['ACC-OD', 'offCycle'], ['ACC-OTHER', 'onCycle']])
    })

    test('an account with nothing to bill is rejected, with the reason', async () => {
      const created = await call('POST', `${server.api}/customerBillOnDemand`, { billingAccount: { id: 'ACC-OD' } })
      assert.equal(created.status, 201)
      const done = await settle(server, created.body.id)
      assert.equal(done.state, 'rejected')
      assert.equal(done.description, 'Billing account ACC-OD has no unbilled charges')
      assert.equal(done.customerBill, undefined)

      const unknown = await call('POST', `${server.api}/customerBillOnDemand`, { billingAccount: { id: 'NO-SUCH-ACCOUNT' } })
      assert.equal((await settle(server, unknown.body.id)).state, 'rejected')
    })

    test('a request naming only a relatedParty is rejected: tmfbill bills billing accounts', async () => {
      const created = await call('POST', `${server.api}/customerBillOnDemand`, { relatedParty: { id: 'P-1', role: 'customer', '@referredType': 'Individual' } })
      assert.equal(created.status, 201)
      const done = await settle(server, created.body.id)
      assert.equal(done.state, 'rejected')
      assert.match(done.description, /relatedParty but no billingAccount/)
    })

    test('a request naming neither is refused at once', async () => {
      const res = await call('POST', `${server.api}/customerBillOnDemand`, { name: 'nobody' })
      assert.equal(res.status, 400)
      assert.equal(res.body['@type'], 'Error')
    })
  })
}
