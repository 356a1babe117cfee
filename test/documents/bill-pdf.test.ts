import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PDFParse } from 'pdf-parse'
import { isDomainError } from '../../src/domain/errors.ts'
import { renderBillPdf, type BillDocumentInput } from '../../src/documents/bill-pdf.ts'

function bill (overrides: Partial<BillDocumentInput> = {}): BillDocumentInput {
  return {
    billNo: 'INV-2024-000123',
    billDate: '2024-02-01T00:00:00.000Z',
    paymentDueDate: '2024-03-02T00:00:00.000Z',
    billingPeriod: { startDateTime: '2024-01-01T00:00:00.000Z', endDateTime: '2024-02-01T00:00:00.000Z' },
    billingAccount: { id: 'BA-4711', name: 'Müller & Söhne GmbH' },
    currency: 'EUR',
    issuer: 'Acme Telecom',
    lines: [
      { description: 'Monthly fee', group: 'Fibre 1 Gbit/s', amount: '39.99' },
      { description: 'Router rental', group: 'Fibre 1 Gbit/s', amount: '4.005' },
      { description: 'Calls to mobiles', group: 'Mobile Unlimited', amount: '1234.50' },
      { description: 'Goodwill credit', group: 'Credits', amount: '-10.00' }
    ],
    taxItems: [{ taxCategory: 'VAT', taxRate: '0.2', taxAmount: '253.70' }],
    taxExcludedAmount: '1268.50',
    taxIncludedAmount: '1522.20',
    amountDue: '1522.20',
    ...overrides
  }
}

async function readText (pdf: Buffer): Promise<{ text: string; pages: number }> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) })
  try {
    const result = await parser.getText()
    return { text: result.text, pages: result.total }
  } finally {
    await parser.destroy()
  }
}

test('the bill PDF shows the bill number, account, charges, tax breakdown and amount due', async () => {
  const pdf = await renderBillPdf(bill())
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
  const { text, pages } = await readText(pdf)
  assert.equal(pages, 1)
  for (const expected of ['Acme Telecom', 'Invoice INV-2024-000123', 'BA-4711', 'Müller & Söhne GmbH', '2024-01-01 to 2024-01-31',
    '2024-03-02', 'Fibre 1 Gbit/s', 'Router rental', '4.005', 'Subtotal Fibre 1 Gbit/s', '43.995', '1,234.50', '-10.00',
    'VAT', '20 %', '253.70', 'Amount due', '1,522.20 EUR', 'Please pay by 2024-03-02', 'Page 1 of 1']) {
    assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`)
  }
})

test('the same bill renders to the same bytes, and another bill date changes them', async () => {
  const first = await renderBillPdf(bill())
  const second = await renderBillPdf(bill())
  assert.ok(first.equals(second), 'two renders of one bill differ')
  const later = await renderBillPdf(bill({ billDate: '2024-02-02T00:00:00.000Z' }))
  assert.ok(!first.equals(later))
})

test('500 charge lines flow over several pages with headings repeated and the total at the end', async () => {
  const lines = Array.from({ length: 500 }, (_, i) => ({
    description: `Usage record ${String(i + 1).padStart(3, '0')}`,
    group: i < 250 ? 'Mobile Unlimited' : 'Fibre 1 Gbit/s',
    amount: '1.25'
  }))
  const pdf = await renderBillPdf(bill({ lines, taxExcludedAmount: '625.00', taxItems: [{ taxCategory: 'VAT', taxRate: '0.2', taxAmount: '125.00' }], taxIncludedAmount: '750.00', amountDue: '750.00' }))
  const { text, pages } = await readText(pdf)
  assert.ok(pages >= 8, `expected several pages, got ${pages}`)
  for (const expected of ['Usage record 001', 'Usage record 500', 'Description (continued)', 'Mobile Unlimited (continued)',
    'Subtotal Mobile Unlimited', '312.50', `Page ${pages} of ${pages}`, '750.00 EUR']) {
    assert.ok(text.includes(expected), `missing "${expected}"`)
  }
})

test('a credit note says the amount is owed to the customer', async () => {
  const pdf = await renderBillPdf(bill({
    lines: [{ description: 'Refund', group: 'Credits', amount: '-50.00' }],
    taxItems: [{ taxCategory: 'VAT', taxRate: '0.2', taxAmount: '-10.00' }],
    taxExcludedAmount: '-50.00', taxIncludedAmount: '-60.00', amountDue: '-60.00'
  }))
  const { text } = await readText(pdf)
  assert.ok(text.includes('-60.00 EUR'))
  assert.ok(text.includes('credit note'))
  assert.ok(!text.includes('Please pay by'))
})

test('names outside the built-in font, long descriptions and a bill without tax still render', async () => {
  const { issuer: _issuer, ...withoutIssuer } = bill({
    billingAccount: { id: 'BA-JP-1', name: '株式会社テスト' },
    currency: 'JPY',
    lines: [{ description: 'A very long description '.repeat(20), group: 'Other charges', amount: '1000' }],
    taxItems: [],
    taxExcludedAmount: '1000', taxIncludedAmount: '1000', amountDue: '1000'
  })
  const { text } = await readText(await renderBillPdf(withoutIssuer))
  assert.ok(text.includes('BA-JP-1'))
  assert.ok(text.includes('No tax applies to this bill.'))
  assert.ok(text.includes('1,000 JPY'))
  assert.ok(text.includes('…'), 'the long description is cut with an ellipsis')
})

test('a bill date that is not a date is refused', async () => {
  await assert.rejects(renderBillPdf(bill({ billDate: 'yesterday' })),
    (err: unknown) => isDomainError(err) && err.code === 'INVALID_FIELD' && err.message.includes('billDate'))
})
