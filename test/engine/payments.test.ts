import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '../../src/domain/clock.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'
import { billRun, call, listBills, postRates } from './engine-helpers.ts'

/**
 * Payments (TMF676-shaped POST /tmf-api/paymentManagement/v4/payment) take bills to partiallyPaid and
 * settled; without paymentItem they go to the oldest open bill first; what no bill takes stays on the
 * payment as unallocatedAmount (docs/decisions/0007-payments.md).
 */

function rate (key: string, account: string, value: string, date: string): Record<string, unknown> {
  return { externalId: key, date, billingAccount: { id: account }, taxExcludedAmount: { unit: 'EUR', value } }
}

for (const kind of await storeKinds()) {
  describe(`payments (${kind})`, () => {
    let server: TestServer
    let payments: string
    const clock = new FakeClock('2026-03-02T08:00:00.000Z')
    const bill = async (account: string, month: string): Promise<any> =>
      (await listBills(server)).find((b) => b.billingAccount.id === account && b.billingPeriod.startDateTime.startsWith(month))
    const pay = (body: Record<string, unknown>) => call('POST', `${payments}/payment`, body)

    before(async () => {
      server = await startTestServer(kind, { clock, jobs: false })
      payments = `${server.url}/tmf-api/paymentManagement/v4`
      // 20 % VAT (the default rule): ACC-P owes 120.00 for January and 60.00 for February, ACC-Q 12.00 and 24.00.
      await postRates(server, [
        rate('p-jan', 'ACC-P', '100.00', '2026-01-10T00:00:00Z'), rate('p-feb', 'ACC-P', '50.00', '2026-02-10T00:00:00Z'),
        rate('q-jan', 'ACC-Q', '10.00', '2026-01-10T00:00:00Z'), rate('q-feb', 'ACC-Q', '20.00', '2026-02-10T00:00:00Z')
      ])
      await billRun(server, '2026-02-02T08:00:00.000Z', clock)
      await billRun(server, '2026-03-02T08:00:00.000Z', clock)
    })
    after(async () => { await server?.close() })

    test('a partial payment of a named bill leaves it partiallyPaid; the rest settles it', async () => {
      const jan = await bill('ACC-P', '2026-01')
      for (const state of ['validated', 'sent']) {
        const res = await call('PATCH', `${server.api}/customerBill/${jan.id}`, { state }, 'application/merge-patch+json')
        assert.equal(res.status, 200)
      }

      const first = await pay({ externalId: 'bank-1', account: { id: 'ACC-P' }, totalAmount: { unit: 'EUR', value: '50.00' },
        paymentItem: [{ item: { id: jan.id }, amount: { unit: 'EUR', value: 50 } }] })
      assert.equal(first.status, 201)
      assert.equal(first.headers.get('location'), `${payments}/payment/${first.body.id}`)
      assert.deepEqual(first.body.totalAmount, { unit: 'EUR', value: 50 })
      assert.deepEqual(first.body.unallocatedAmount, { unit: 'EUR', value: 0 })
      assert.deepEqual(first.body.paymentItem.map((i: any) => [i.item.id, i.amount.value]), [[jan.id, 50]])

      const partly = await bill('ACC-P', '2026-01')
      assert.equal(partly.state, 'partiallyPaid')
      assert.deepEqual(partly.remainingAmount, { unit: 'EUR', value: 70 })
      assert.deepEqual(partly.amountDue, { unit: 'EUR', value: 120 })
      assert.equal(partly.appliedPayment.length, 1)
      assert.deepEqual(partly.appliedPayment[0].appliedAmount, { unit: 'EUR', value: 50 })
      assert.equal(partly.appliedPayment[0].payment.id, first.body.id)

      const rest = await pay({ externalId: 'bank-2', account: { id: 'ACC-P' }, totalAmount: { unit: 'EUR', value: 70 }, paymentItem: [{ item: { id: jan.id } }] })
      assert.equal(rest.status, 201)
      const settled = await bill('ACC-P', '2026-01')
      assert.equal(settled.state, 'settled')
      assert.deepEqual(settled.remainingAmount, { unit: 'EUR', value: 0 })
      assert.deepEqual(settled.appliedPayment.map((a: any) => [a.payment.id, a.appliedAmount.value]), [[first.body.id, 50], [rest.body.id, 70]])
      // The February bill was not named, so it is untouched.
      assert.equal((await bill('ACC-P', '2026-02')).state, 'new')

      const patch = await call('PATCH', `${server.api}/customerBill/${settled.id}`, { state: 'onHold' }, 'application/merge-patch+json')
      assert.equal(patch.status, 409, 'a settled bill is closed')
    })

    test('without paymentItem the payment goes to the oldest open bill first', async () => {
      const jan = await bill('ACC-Q', '2026-01')
      const feb = await bill('ACC-Q', '2026-02')
      const res = await pay({ externalId: 'bank-3', account: { id: 'ACC-Q' }, totalAmount: { unit: 'EUR', value: '30.00' } })
      assert.equal(res.status, 201)
      assert.deepEqual(res.body.paymentItem.map((i: any) => [i.item.id, i.amount.value]), [[jan.id, 12], [feb.id, 18]])
      assert.deepEqual(res.body.unallocatedAmount, { unit: 'EUR', value: 0 })
      const [janAfter, febAfter] = [await bill('ACC-Q', '2026-01'), await bill('ACC-Q', '2026-02')]
      assert.deepEqual([janAfter.state, janAfter.remainingAmount.value], ['settled', 0])
      assert.deepEqual([febAfter.state, febAfter.remainingAmount.value], ['partiallyPaid', 6])
    })

    test('an overpayment settles what is open and keeps the rest as unallocatedAmount', async () => {
      const res = await pay({ externalId: 'bank-4', account: { id: 'ACC-Q' }, totalAmount: { unit: 'EUR', value: '10.00' } })
      assert.equal(res.status, 201)
      assert.deepEqual(res.body.unallocatedAmount, { unit: 'EUR', value: 4 })
      assert.deepEqual(res.body.paymentItem.map((i: any) => i.amount.value), [6])
      const feb = await bill('ACC-Q', '2026-02')
      assert.deepEqual([feb.state, feb.remainingAmount.value], ['settled', 0])

      const nothingOpen = await pay({ account: { id: 'ACC-Q' }, totalAmount: { unit: 'EUR', value: '5' } })
      assert.deepEqual([nothingOpen.body.paymentItem, nothingOpen.body.unallocatedAmount.value], [[], 5])
    })

    test('a payment sent again with the same externalId is recorded once', async () => {
      const before = await listBills(server)
      const again = await pay({ externalId: 'bank-3', account: { id: 'ACC-Q' }, totalAmount: { unit: 'EUR', value: '30.00' } })
      assert.equal(again.status, 200)
      const list = await call('GET', `${payments}/payment`)
      assert.equal(list.status, 200)
      assert.equal(list.body.filter((p: any) => p.externalId === 'bank-3').length, 1)
      assert.equal(again.body.id, list.body.find((p: any) => p.externalId === 'bank-3').id)
      assert.deepEqual(await listBills(server), before)
    })

    test('payments can be listed and read back', async () => {
      const list = await call('GET', `${payments}/payment`)
      assert.equal(list.status, 200)
      assert.equal(list.headers.get('x-total-count'), '5')
      assert.deepEqual(list.body.map((p: any) => p.totalAmount.value).sort((a: number, b: number) => a - b), [5, 10, 30, 50, 70])
      const one = list.body.find((p: any) => p.externalId === 'bank-4')
      const read = await call('GET', one.href)
      assert.equal(read.status, 200)
      assert.deepEqual(read.body, one)
      assert.equal(read.body.account.id, 'ACC-Q')
      assert.equal(read.body.status, 'done')
      assert.equal((await call('GET', `${payments}/payment/no-such-payment`)).status, 404)
    })

    test('a payment in another currency than the bill it names is refused', async () => {
      const feb = await bill('ACC-P', '2026-02')
      const res = await pay({ account: { id: 'ACC-P' }, totalAmount: { unit: 'USD', value: 1 }, paymentItem: [{ item: { id: feb.id } }] })
      assert.equal(res.status, 400)
      assert.equal(res.body.code, 'CURRENCY_MISMATCH')
      assert.equal((await bill('ACC-P', '2026-02')).state, 'new')
    })

    test('a held bill keeps onHold while paid; released, it shows what the payments did', async () => {
      const feb = await bill('ACC-P', '2026-02')
      const patch = (state: string) => call('PATCH', `${server.api}/customerBill/${feb.id}`, { state }, 'application/merge-patch+json')
      assert.equal((await patch('onHold')).status, 200)
      const res = await pay({ account: { id: 'ACC-P' }, totalAmount: { unit: 'EUR', value: '60.00' }, paymentItem: [{ item: { id: feb.id } }] })
      assert.equal(res.status, 201)
      const held = await bill('ACC-P', '2026-02')
      assert.deepEqual([held.state, held.remainingAmount.value], ['onHold', 0])
      const released = await patch('sent')
      assert.equal(released.status, 200)
      assert.equal(released.body.state, 'settled')
    })

    test('the same externalId sent several times at once records one payment', async () => {
      await postRates(server, [rate('r-late', 'ACC-R', '10.00', '2026-02-10T00:00:00Z')])
      await billRun(server, '2026-03-02T08:00:00.000Z', clock)
      const body = { externalId: 'bank-race', account: { id: 'ACC-R' }, totalAmount: { unit: 'EUR', value: '5.00' } }
      const replies = await Promise.all(Array.from({ length: 6 }, () => pay(body)))
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201])
      assert.equal(new Set(replies.map((r) => r.body.id)).size, 1)
      const r = await bill('ACC-R', '2026-02')
      assert.deepEqual([r.state, r.remainingAmount.value, r.appliedPayment.length], ['partiallyPaid', 7, 1])
    })
  })
}
