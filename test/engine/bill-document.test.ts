import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PDFParse } from 'pdf-parse'
import { FakeClock } from '../../src/domain/clock.ts'
import { renderPendingDocuments } from '../../src/documents/bill-documents.ts'
import { openStore, type Store } from '../../src/store/database.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'
import { billRun, call, listBills, postRates, waitFor } from './engine-helpers.ts'

/**
 * Every bill's billDocument[0] is a PDF rendered from the bill: after commit by the background renderer, or on
 * first download if that has not happened yet (docs/decisions/0008-bill-documents.md).
 */

async function pdfText (pdf: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) })
  try {
    return (await parser.getText()).text
  } finally {
    await parser.destroy()
  }
}

async function download (url: string): Promise<{ status: number; type: string | null; length: number; body: Buffer; disposition: string | null }> {
  const res = await fetch(url)
  const body = Buffer.from(await res.arrayBuffer())
  return { status: res.status, type: res.headers.get('content-type'), length: Number(res.headers.get('content-length')), body, disposition: res.headers.get('content-disposition') }
}

function rate (key: string, account: string, unit: string, value: string, name: string): Record<string, unknown> {
  return {
    externalId: key, date: '2026-02-10T10:00:00Z', name, billingAccount: { id: account, name: `Customer ${account}` },
    product: { id: `P-${account}`, name: 'Fibre 1G' }, taxExcludedAmount: { unit, value }
  }
}

const CHARGES = [
  rate('eur-fee', 'ACC-DOC-EUR', 'EUR', '1234.50', 'Monthly fee'),
  rate('jpy-fee', 'ACC-DOC-JPY', 'JPY', '12345', 'Hikari 10G')
]

for (const kind of await storeKinds()) {
  describe(`bill documents (${kind})`, () => {
    describe('rendered on first download', () => {
      let server: TestServer
      const clock = new FakeClock('2026-03-02T08:00:00.000Z')
      before(async () => {
        server = await startTestServer(kind, { clock, jobs: false })
        await postRates(server, CHARGES)
        await billRun(server, '2026-03-02T08:00:00.000Z', clock)
      })
      after(async () => { await server?.close() })

      test('the PDF downloads, its size is then on the bill, and its text holds the bill number and total', async () => {
        const [eur] = (await listBills(server)).filter((b) => b.amountDue.unit === 'EUR')
        assert.equal(eur.billDocument[0].size, undefined, 'not rendered yet')
        const pdf = await download(eur.billDocument[0].url)
        assert.equal(pdf.status, 200)
        assert.equal(pdf.type, 'application/pdf')
        assert.equal(pdf.body.subarray(0, 5).toString(), '%PDF-')
        assert.equal(pdf.length, pdf.body.length)
        assert.equal(pdf.disposition, `inline; filename="${eur.billNo}.pdf"`)

        const after = (await call('GET', eur.href)).body
        assert.deepEqual(after.billDocument[0].size, { amount: pdf.length, units: 'bytes' })

        const text = await pdfText(pdf.body)
        assert.ok(text.includes(eur.billNo), `bill number ${eur.billNo} in the PDF text`)
        // 1,234.50 + 20 % VAT = 1,481.40
        assert.ok(text.includes('1,481.40 EUR'), `amount due in the PDF text:\n${text}`)
        assert.ok(text.includes('Customer ACC-DOC-EUR'))

        const again = await download(eur.billDocument[0].url)
        assert.ok(again.body.equals(pdf.body), 'the stored document is served again, byte for byte')
      })

      test('a bill without decimals shows its total without decimals', async () => {
        const [jpy] = (await listBills(server)).filter((b) => b.amountDue.unit === 'JPY')
        const pdf = await download(jpy.billDocument[0].url)
        const text = await pdfText(pdf.body)
        assert.ok(text.includes(jpy.billNo))
        assert.ok(text.includes('14,814 JPY'), `amount due in the PDF text:\n${text}`)
      })

      test('an unknown document is a 404', async () => {
        const [bill] = await listBills(server)
        const res = await call('GET', `${server.api}/customerBill/${bill.id}/billDocument/no-such-document`)
        assert.equal(res.status, 404)
        assert.equal(res.body['@type'], 'Error')
      })
    })

    describe('rendered in the background after the bill run', () => {
      let server: TestServer
      const clock = new FakeClock('2026-03-02T08:00:00.000Z')
      before(async () => {
        server = await startTestServer(kind, { clock })
        await postRates(server, CHARGES)
        await billRun(server, '2026-03-02T08:00:00.000Z', clock)
        server.jobs?.wake('documents')
      })
      after(async () => { await server?.close() })

      test('each bill gets its document size without anyone downloading it, and the download has that size', async () => {
        const bills = await waitFor('documents to be rendered', async () => {
          const list = await listBills(server)
          return list.every((b) => b.billDocument[0].size !== undefined) ? list : undefined
        })
        for (const bill of bills) {
          const pdf = await download(bill.billDocument[0].url)
          assert.equal(pdf.status, 200)
          assert.equal(pdf.length, bill.billDocument[0].size.amount)
          assert.ok((await pdfText(pdf.body)).includes(bill.billNo))
        }
      })
    })
  })
}

describe('two renderers over one PostgreSQL share the pending documents', { skip: !(await storeKinds()).includes('postgres') && 'PostgreSQL unreachable' }, () => {
  test('each PDF is rendered by one of them, and every bill gets its size', async () => {
    const clock = new FakeClock('2026-03-02T08:00:00.000Z')
    const server = await startTestServer('postgres', { clock, jobs: false })
    // A second pool on the same schema, as a second server process would have.
    const other = await openStore((server.store as Store & { url: string }).url)
    try {
      await postRates(server, Array.from({ length: 12 }, (_, i) => rate(`two-${i}`, `ACC-TWO-${i}`, 'EUR', '10.00', 'Fee')))
      await billRun(server, '2026-03-02T08:00:00.000Z', clock)
      const deps = (store: Store) => ({ store, issuerName: 'tmfbill', now: () => clock.now() })
      const [a, b] = await Promise.all([renderPendingDocuments(deps(server.store), 100), renderPendingDocuments(deps(other), 100)])
      assert.equal(a + b, 12, `rendered ${a} + ${b}: every document once`)
      const bills = await listBills(server)
      assert.equal(bills.length, 12)
      for (const bill of bills) assert.ok(bill.billDocument[0].size.amount > 1000, bill.billNo)
    } finally {
      await other.close()
      await server.close()
    }
  })
})
