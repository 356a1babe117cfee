import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '../../src/domain/clock.ts'
import { configureAccount } from '../../src/domain/configure-account.ts'
import { accountDefaults } from '../../src/context.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'
import { billRun, call, dec, Decimal, listBills, MINOR, postRates, roundHalfUp } from './engine-helpers.ts'

/**
 * The billing engine end to end, as a user sees it: rated charges POSTed to the API, a bill run at a fixed
 * date, bills read back over HTTP. Every expected total is computed here, independently of the engine, with
 * exact decimals and the documented rounding (docs/decisions/0003-money-and-rounding.md, 0004-taxes.md).
 */

const TAX_RULES = JSON.stringify({
  rules: [{ taxCategory: 'VAT reduced', taxRate: '0.055', match: { productId: 'ebook' } }],
  default: { taxCategory: 'VAT', taxRate: '0.20' }
})
const AS_OF = '2026-03-02T06:00:00.000Z'
const FEB = { startDateTime: '2026-02-01T00:00:00.000Z', endDateTime: '2026-03-01T00:00:00.000Z' }

/** One rated charge and the tax lines the test expects for it (category, rate, exact amount). */
interface Charge {
  key: string
  account: string
  currency: string
  amount: string
  date: string
  type?: string
  product?: string
  appliedTax?: { taxCategory: string; taxRate: number; taxAmount: string }
  taxIncluded?: string
  /** Which bill the rate should be on after the first run: undefined = stays unbilled. */
  billed: boolean
}

/** The configured rules, restated: ebook 5.5 % reduced VAT, everything else 20 % VAT. */
function expectedTax (c: Charge): { taxCategory: string; taxRate: Decimal; taxAmount: Decimal }[] {
  const amount = new Decimal(c.amount)
  if (c.appliedTax) return [{ taxCategory: c.appliedTax.taxCategory, taxRate: dec(c.appliedTax.taxRate), taxAmount: new Decimal(c.appliedTax.taxAmount) }]
  if (c.taxIncluded !== undefined) {
    const tax = new Decimal(c.taxIncluded).minus(amount)
    return [{ taxCategory: 'VAT', taxRate: tax.dividedBy(amount).toDecimalPlaces(6), taxAmount: tax }]
  }
  const rate = new Decimal(c.product === 'ebook' ? '0.055' : '0.20')
  return [{ taxCategory: c.product === 'ebook' ? 'VAT reduced' : 'VAT', taxRate: rate, taxAmount: amount.times(rate) }]
}

const CHARGES: Charge[] = [
  // ACC-EU, EUR, cycle day 1: an older leftover, both period boundaries, sub-cent usage, a credit, tax as given, a reduced rate.
  { key: 'eu-leftover', account: 'ACC-EU', currency: 'EUR', amount: '1.50', date: '2026-01-20T10:00:00Z', billed: true },
  { key: 'eu-plan', account: 'ACC-EU', currency: 'EUR', amount: '19.999', date: '2026-02-01T00:00:00Z', type: 'recurringCharge', product: 'fibre', billed: true },
  { key: 'eu-use-1', account: 'ACC-EU', currency: 'EUR', amount: '0.0049', date: '2026-02-03T08:00:00Z', type: 'usageCharge', billed: true },
  { key: 'eu-use-2', account: 'ACC-EU', currency: 'EUR', amount: '0.0049', date: '2026-02-04T08:00:00Z', type: 'usageCharge', billed: true },
  { key: 'eu-use-3', account: 'ACC-EU', currency: 'EUR', amount: '0.0049', date: '2026-02-05T08:00:00Z', type: 'usageCharge', billed: true },
  { key: 'eu-credit', account: 'ACC-EU', currency: 'EUR', amount: '-5.005', date: '2026-02-10T12:00:00Z', type: 'appliedBillingCredit', billed: true },
  {
    key: 'eu-given-tax', account: 'ACC-EU', currency: 'EUR', amount: '10.00', date: '2026-02-11T12:00:00Z', billed: true,
    appliedTax: { taxCategory: 'VAT', taxRate: 0.2, taxAmount: '2.01' }
  },
  { key: 'eu-ebook', account: 'ACC-EU', currency: 'EUR', amount: '7.99', date: '2026-02-12T12:00:00Z', product: 'ebook', billed: true },
  { key: 'eu-last-ms', account: 'ACC-EU', currency: 'EUR', amount: '0.0013', date: '2026-02-28T23:59:59.999Z', billed: true },
  { key: 'eu-march', account: 'ACC-EU', currency: 'EUR', amount: '3.10', date: '2026-03-01T00:00:00Z', billed: false },
  // ACC-MIX: two currencies, so two bills. JPY has no minor unit.
  { key: 'mix-eur', account: 'ACC-MIX', currency: 'EUR', amount: '12.345', date: '2026-02-07T09:00:00Z', billed: true },
  {
    key: 'mix-jpy-given', account: 'ACC-MIX', currency: 'JPY', amount: '1000.4', date: '2026-02-08T09:00:00Z', billed: true,
    appliedTax: { taxCategory: 'JCT', taxRate: 0.1, taxAmount: '100.04' }
  },
  { key: 'mix-jpy-1', account: 'ACC-MIX', currency: 'JPY', amount: '333.3', date: '2026-02-09T09:00:00Z', billed: true },
  { key: 'mix-jpy-2', account: 'ACC-MIX', currency: 'JPY', amount: '0.5', date: '2026-02-10T09:00:00Z', billed: true },
  // ACC-KW: KWD has three minor digits; payment terms 14 days; tax implied by taxIncludedAmount only.
  { key: 'kw-1', account: 'ACC-KW', currency: 'KWD', amount: '12.3456', date: '2026-02-02T09:00:00Z', billed: true },
  { key: 'kw-2', account: 'ACC-KW', currency: 'KWD', amount: '0.0005', date: '2026-02-03T09:00:00Z', billed: true },
  { key: 'kw-credit', account: 'ACC-KW', currency: 'KWD', amount: '-1.0004', date: '2026-02-04T09:00:00Z', type: 'appliedBillingCredit', billed: true },
  { key: 'kw-included', account: 'ACC-KW', currency: 'KWD', amount: '2.000', date: '2026-02-05T09:00:00Z', taxIncluded: '2.2', billed: true },
  // ACC-D15: its cycle closes on the 15th, so at the as-of date its closed period is [15 Jan, 15 Feb).
  { key: 'd15-old', account: 'ACC-D15', currency: 'EUR', amount: '3.333', date: '2026-01-20T09:00:00Z', billed: true },
  { key: 'd15-in', account: 'ACC-D15', currency: 'EUR', amount: '1.111', date: '2026-02-14T23:00:00Z', billed: true },
  { key: 'd15-open', account: 'ACC-D15', currency: 'EUR', amount: '2.222', date: '2026-02-20T09:00:00Z', billed: false }
]

function rateBody (c: Charge): Record<string, unknown> {
  return {
    externalId: c.key,
    date: c.date,
    name: c.key,
    billingAccount: { id: c.account, name: `Customer ${c.account}` },
    taxExcludedAmount: { unit: c.currency, value: c.amount },
    ...(c.type ? { type: c.type } : {}),
    ...(c.product ? { product: { id: c.product, name: c.product === 'ebook' ? 'E-book' : 'Fibre 1G' } } : {}),
    ...(c.appliedTax ? { appliedTax: [{ ...c.appliedTax, taxAmount: { unit: c.currency, value: c.appliedTax.taxAmount } }] } : {}),
    ...(c.taxIncluded !== undefined ? { taxIncludedAmount: { unit: c.currency, value: c.taxIncluded } } : {})
  }
}

/** The totals a bill over `charges` must show: each total rounded once from the exact sums. */
function expectedTotals (charges: Charge[], currency: string) {
  const minor = MINOR[currency] ?? 2
  const excluded = roundHalfUp(charges.reduce((s, c) => s.plus(c.amount), new Decimal(0)), minor)
  const groups = new Map<string, { taxCategory: string; taxRate: Decimal; sum: Decimal }>()
  for (const line of charges.flatMap(expectedTax)) {
    const key = `${line.taxCategory}|${line.taxRate.toFixed()}`
    const g = groups.get(key) ?? { taxCategory: line.taxCategory, taxRate: line.taxRate, sum: new Decimal(0) }
    g.sum = g.sum.plus(line.taxAmount)
    groups.set(key, g)
  }
  const taxItems = [...groups.values()]
    .sort((a, b) => (a.taxCategory < b.taxCategory ? -1 : a.taxCategory > b.taxCategory ? 1 : a.taxRate.comparedTo(b.taxRate)))
    .map((g) => ({ taxCategory: g.taxCategory, taxRate: g.taxRate.toFixed(), taxAmount: roundHalfUp(g.sum, minor).toFixed(minor) }))
  const included = taxItems.reduce((s, t) => s.plus(t.taxAmount), excluded)
  return { excluded: excluded.toFixed(minor), taxItems, included: included.toFixed(minor) }
}

function addDays (iso: string, days: number): string {
  return new Date(new Date(iso).getTime() + days * 86_400_000).toISOString()
}

/** Money on the wire as exact text with the currency's digits, for comparison with the expectations. */
function money (m: { unit: string; value: number }, currency: string): string {
  assert.equal(m.unit, currency)
  return dec(m.value).toFixed(MINOR[currency] ?? 2)
}

for (const kind of await storeKinds()) {
  describe(`billing scenario (${kind})`, () => {
    let server: TestServer
    const clock = new FakeClock(AS_OF)
    const rateIds = new Map<string, string>()

    before(async () => {
      server = await startTestServer(kind, { clock, jobs: false, env: { TAX_RULES } })
      const deps = { store: server.store, now: clock.now(), defaults: accountDefaults(server.config) }
      await configureAccount('ACC-KW', { paymentTermsDays: 14 }, deps)
      await configureAccount('ACC-D15', { billCycleDay: 15 }, deps)
      const stored = await postRates(server, CHARGES.map(rateBody))
      CHARGES.forEach((c, i) => rateIds.set(c.key, stored[i].id))
    })
    after(async () => { await server?.close() })

    test('one bill per account, period and currency, with exact totals, dates and a gap-free number', async () => {
      const result = await billRun(server, AS_OF, clock)
      assert.deepEqual({ bills: result.bills, accounts: result.accounts, failures: result.failures }, { bills: 5, accounts: 4, failures: [] })

      const bills = await listBills(server)
      assert.deepEqual(bills.map((b) => `${b.billingAccount.id}/${b.amountDue.unit}`).sort(),
        ['ACC-D15/EUR', 'ACC-EU/EUR', 'ACC-KW/KWD', 'ACC-MIX/EUR', 'ACC-MIX/JPY'])
      assert.deepEqual(bills.map((b) => b.billNo), ['INV-00000001', 'INV-00000002', 'INV-00000003', 'INV-00000004', 'INV-00000005'])

      for (const bill of bills) {
        const account = bill.billingAccount.id as string
        const currency = bill.amountDue.unit as string
        const charges = CHARGES.filter((c) => c.account === account && c.currency === currency && c.billed)
        const want = expectedTotals(charges, currency)
        const where = `${account} ${currency}`
        assert.equal(money(bill.taxExcludedAmount, currency), want.excluded, `${where} taxExcludedAmount`)
        assert.deepEqual(bill.taxItem.map((t: any) => ({ taxCategory: t.taxCategory, taxRate: dec(t.taxRate).toFixed(), taxAmount: money(t.taxAmount, currency) })),
          want.taxItems, `${where} taxItem`)
        assert.equal(money(bill.taxIncludedAmount, currency), want.included, `${where} taxIncludedAmount`)
        assert.equal(money(bill.amountDue, currency), want.included, `${where} amountDue`)
        assert.equal(money(bill.remainingAmount, currency), want.included, `${where} remainingAmount`)

        const d15 = account === 'ACC-D15'
        assert.deepEqual(bill.billingPeriod, d15 ? { startDateTime: '2026-01-15T00:00:00.000Z', endDateTime: '2026-02-15T00:00:00.000Z' } : FEB, where)
        assert.equal(bill.billDate, AS_OF)
        assert.equal(bill.paymentDueDate, addDays(AS_OF, account === 'ACC-KW' ? 14 : 30), `${where} paymentDueDate`)
        assert.equal(bill.nextBillDate, d15 ? '2026-03-15T00:00:00.000Z' : '2026-04-01T00:00:00.000Z', `${where} nextBillDate`)
        assert.equal(bill.runType, 'onCycle')
        assert.equal(bill.category, 'normal')
        assert.equal(bill.state, 'new')
        assert.equal(bill.billDocument[0].mimeType, 'application/pdf')
        assert.equal(bill.billDocument[0].url, `${server.api}/customerBill/${bill.id}/billDocument/${bill.billDocument[0].id}`)
      }

      // Spot checks against hand-computed figures, so that a shared mistake in the model above cannot hide.
      const kw = bills.find((b) => b.billingAccount.id === 'ACC-KW')
      assert.deepEqual([kw.taxExcludedAmount.value, kw.amountDue.value], [13.346, 15.815])
      const jpy = bills.find((b) => b.amountDue.unit === 'JPY')
      assert.deepEqual([jpy.taxExcludedAmount.value, jpy.taxItem.map((t: any) => t.taxAmount.value), jpy.amountDue.value], [1334, [100, 67], 1501])
    })

    test('every rate in a closed period is billed once, with a bill ref that leads to its bill', async () => {
      const bills = await listBills(server)
      for (const c of CHARGES) {
        const res = await call('GET', `${server.api}/appliedCustomerBillingRate/${rateIds.get(c.key)}`)
        assert.equal(res.status, 200)
        assert.equal(res.body.isBilled, c.billed, `${c.key} isBilled`)
        if (!c.billed) {
          assert.equal(res.body.bill, undefined, `${c.key} has no bill`)
          continue
        }
        const bill = bills.find((b) => b.billingAccount.id === c.account && b.amountDue.unit === c.currency)
        assert.equal(res.body.bill.id, bill.id, `${c.key} bill.id`)
        const followed = await call('GET', res.body.bill.href)
        assert.equal(followed.status, 200)
        assert.equal(followed.body.id, bill.id)
      }
    })

    test('running the bill run again changes nothing', async () => {
      const before = await listBills(server)
      const again = await billRun(server, AS_OF, clock)
      assert.equal(again.bills, 0)
      assert.deepEqual(await listBills(server), before)
    })

    test('a late rate for a billed period waits for the next period\'s bill', async () => {
      const [late] = await postRates(server, [rateBody({ key: 'eu-late', account: 'ACC-EU', currency: 'EUR', amount: '4.00', date: '2026-02-20T10:00:00Z', billed: false })])
      assert.equal((await billRun(server, AS_OF, clock)).bills, 0)
      assert.equal((await call('GET', `${server.api}/appliedCustomerBillingRate/${late.id}`)).body.isBilled, false)

      const april = '2026-04-02T06:00:00.000Z'
      clock.set(april)
      const result = await billRun(server, april, clock)
      assert.equal(result.bills, 2) // ACC-EU for March, ACC-D15 for [15 Feb, 15 Mar)
      const bills = await listBills(server)
      assert.deepEqual(bills.map((b) => Number(b.billNo.slice(4))), [1, 2, 3, 4, 5, 6, 7])
      const march = bills.find((b) => b.billingAccount.id === 'ACC-EU' && b.billingPeriod.startDateTime === '2026-03-01T00:00:00.000Z')
      assert.ok(march, 'ACC-EU has a bill for March')
      assert.deepEqual(march.billingPeriod, { startDateTime: '2026-03-01T00:00:00.000Z', endDateTime: '2026-04-01T00:00:00.000Z' })
      // The March rate (3.10) and the late February rate (4.00), 20 % VAT each.
      assert.deepEqual([march.taxExcludedAmount.value, march.taxItem[0].taxAmount.value, march.amountDue.value], [7.1, 1.42, 8.52])
      const rate = await call('GET', `${server.api}/appliedCustomerBillingRate/${late.id}`)
      assert.equal(rate.body.isBilled, true)
      assert.equal(rate.body.bill.id, march.id)
      const d15 = bills.find((b) => b.billingAccount.id === 'ACC-D15' && b.billingPeriod.startDateTime === '2026-02-15T00:00:00.000Z')
      assert.equal(d15?.taxExcludedAmount.value, 2.22)
    })
  })
}
