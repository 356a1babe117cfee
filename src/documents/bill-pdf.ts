import PDFDocument from 'pdfkit'
import { DomainError, ErrorCodes } from '../domain/errors.ts'
import { parseAmount, sumAmounts, toAmountString, toDecimal } from '../domain/money.ts'

/**
 * The customer-facing bill document. Amounts arrive already calculated and formatted; this module only
 * lays them out. Output is deterministic: the same input gives the same bytes (dates come from the bill,
 * the PDF file ID is derived from them), so a stored document can be re-rendered and compared.
 */

export interface BillDocumentInput {
  billNo: string
  billDate: string
  paymentDueDate: string
  billingPeriod: { startDateTime: string; endDateTime: string }
  billingAccount: { id: string; name?: string }
  currency: string
  issuer?: string
  /** Charges, already formatted as decimal strings. */
  lines: { description: string; group: string; amount: string }[]
  taxItems: { taxCategory: string; taxRate: string; taxAmount: string }[]
  taxExcludedAmount: string
  taxIncludedAmount: string
  amountDue: string
  remainingAmount?: string
}

const PAGE = { width: 595.28, height: 841.89, margin: 50 }
const LEFT = PAGE.margin
const RIGHT = PAGE.width - PAGE.margin
const WIDTH = RIGHT - LEFT
// NOTE: content stops above the footer band; pages are broken by hand so no text ever lands in the footer.
const CONTENT_BOTTOM = PAGE.height - PAGE.margin - 30
const ROW = 17
const COLOR = { ink: '#1f2933', muted: '#6b7785', accent: '#1d4e89', rule: '#d5dbe1', band: '#eef2f6' }
const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold' }

/** Renders the bill as an A4 PDF using only the built-in Helvetica fonts. */
export async function renderBillPdf (input: BillDocumentInput): Promise<Buffer> {
  const issued = parseDate(input.billDate, 'billDate')
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    info: {
      Title: clean(`Invoice ${input.billNo}`),
      Author: clean(input.issuer ?? ''),
      Producer: 'tmfbill',
      Creator: 'tmfbill',
      CreationDate: issued,
      ModDate: issued
    }
  })
  const done = collect(doc)
  const page = new PageWriter(doc, input)
  drawHeader(page, input)
  drawCharges(page, input)
  drawTaxes(page, input)
  drawTotals(page, input)
  drawFooters(doc, input)
  doc.end()
  return await done
}

/** Keeps the vertical position and starts a new page when a block does not fit. */
class PageWriter {
  y = PAGE.margin
  private continuation: (() => void) | undefined

  constructor (readonly doc: PDFKit.PDFDocument, readonly input: BillDocumentInput) {}

  /** What to draw at the top of a page that continues a table (its column headings). */
  continueWith (draw: (() => void) | undefined): void {
    this.continuation = draw
  }

  ensure (height: number): void {
    if (this.y + height <= CONTENT_BOTTOM) return
    this.doc.addPage()
    this.y = PAGE.margin
    this.continuation?.()
  }

  text (value: string, x: number, width: number, opts: { bold?: boolean; size?: number; color?: string; align?: 'left' | 'right' } = {}): void {
    const size = opts.size ?? 9.5
    this.doc.font(opts.bold === true ? FONT.bold : FONT.regular).fontSize(size).fillColor(opts.color ?? COLOR.ink)
    this.doc.text(fit(this.doc, clean(value), width), x, this.y, { width, align: opts.align ?? 'left', lineBreak: false })
  }

  rule (color = COLOR.rule, width = 0.6): void {
    this.doc.moveTo(LEFT, this.y).lineTo(RIGHT, this.y).lineWidth(width).strokeColor(color).stroke()
  }

  band (height: number): void {
    this.doc.rect(LEFT, this.y, WIDTH, height).fillColor(COLOR.band).fill()
  }
}

function drawHeader (page: PageWriter, input: BillDocumentInput): void {
  page.text(input.issuer ?? '', LEFT, WIDTH / 2, { bold: true, size: 18, color: COLOR.accent })
  page.text(`Invoice ${input.billNo}`, LEFT + WIDTH / 2, WIDTH / 2, { bold: true, size: 18, align: 'right' })
  page.y += 30
  page.rule(COLOR.accent, 1.5)
  page.y += 16
  const top = page.y
  page.text('BILL TO', LEFT, 200, { bold: true, size: 8, color: COLOR.muted })
  page.y += 13
  page.text(input.billingAccount.name ?? input.billingAccount.id, LEFT, 230, { bold: true, size: 11 })
  page.y += 15
  page.text(`Account ${input.billingAccount.id}`, LEFT, 230, { color: COLOR.muted })
  page.y = top
  const facts: [string, string][] = [
    ['Invoice number', input.billNo],
    ['Bill date', showDate(input.billDate)],
    ['Payment due', showDate(input.paymentDueDate)],
    ['Billing period', `${showDate(input.billingPeriod.startDateTime)} to ${showLastDay(input.billingPeriod.endDateTime)}`],
    ['Currency', input.currency]
  ]
  for (const [label, value] of facts) {
    page.text(label, RIGHT - 250, 95, { color: COLOR.muted })
    page.text(value, RIGHT - 155, 155, { align: 'right' })
    page.y += 14
  }
  page.y += 20
}

function drawCharges (page: PageWriter, input: BillDocumentInput): void {
  const heading = (title: string): void => {
    page.band(ROW + 2)
    page.y += 5
    page.text(title, LEFT + 6, WIDTH - 130, { bold: true, size: 8.5 })
    page.text(`Amount (${input.currency})`, RIGHT - 126, 120, { bold: true, size: 8.5, align: 'right' })
    page.y += ROW
  }
  page.ensure(ROW * 4)
  sectionTitle(page, 'Charges')
  heading('Description')
  const groupTitle = (title: string): void => {
    page.y += 4
    page.text(title, LEFT + 6, WIDTH - 12, { bold: true })
    page.y += ROW
  }
  for (const [group, lines] of groupLines(input.lines)) {
    page.continueWith(undefined)
    page.ensure(ROW * 3)
    groupTitle(group)
    page.continueWith(() => { heading('Description (continued)'); groupTitle(`${group} (continued)`) })
    for (const line of lines) {
      page.ensure(ROW)
      page.text(line.description, LEFT + 18, WIDTH - 150)
      page.text(formatAmount(line.amount), RIGHT - 126, 120, { align: 'right' })
      page.y += ROW - 3
    }
    page.ensure(ROW)
    page.y += 2
    const subtotal = toAmountString(sumAmounts(lines.map((l) => parseAmount(l.amount, 'line amount'))), input.currency)
    page.text(`Subtotal ${group}`, LEFT + 18, WIDTH - 150, { color: COLOR.muted })
    page.text(formatAmount(subtotal), RIGHT - 126, 120, { bold: true, align: 'right' })
    page.y += ROW
  }
  page.continueWith(undefined)
  page.y += 10
}

function drawTaxes (page: PageWriter, input: BillDocumentInput): void {
  page.ensure(ROW * (3 + Math.max(1, input.taxItems.length)))
  sectionTitle(page, 'Tax breakdown')
  page.band(ROW + 2)
  page.y += 5
  page.text('Tax', LEFT + 6, 200, { bold: true, size: 8.5 })
  page.text('Rate', LEFT + 220, 100, { bold: true, size: 8.5, align: 'right' })
  page.text(`Tax amount (${input.currency})`, RIGHT - 166, 160, { bold: true, size: 8.5, align: 'right' })
  page.y += ROW
  if (input.taxItems.length === 0) {
    page.text('No tax applies to this bill.', LEFT + 6, WIDTH - 12, { color: COLOR.muted })
    page.y += ROW - 3
  }
  for (const item of input.taxItems) {
    page.text(item.taxCategory, LEFT + 6, 200)
    page.text(formatRate(item.taxRate), LEFT + 220, 100, { align: 'right' })
    page.text(formatAmount(item.taxAmount), RIGHT - 166, 160, { align: 'right' })
    page.y += ROW - 3
  }
  page.y += 16
}

function drawTotals (page: PageWriter, input: BillDocumentInput): void {
  const rows: [string, string][] = [
    ['Total excluding tax', input.taxExcludedAmount],
    ['Tax', toAmountString(sumAmounts(input.taxItems.map((t) => parseAmount(t.taxAmount, 'tax amount'))), input.currency)],
    ['Total including tax', input.taxIncludedAmount]
  ]
  page.ensure(ROW * 7)
  const x = RIGHT - 260
  for (const [label, value] of rows) {
    page.text(label, x, 140, { color: COLOR.muted })
    page.text(`${formatAmount(value)} ${input.currency}`, RIGHT - 120, 120, { align: 'right' })
    page.y += ROW - 2
  }
  page.y += 6
  page.doc.rect(x - 8, page.y, RIGHT - x + 8, 28).fillColor(COLOR.accent).fill()
  page.y += 8
  page.text('Amount due', x, 120, { bold: true, size: 11, color: '#ffffff' })
  page.text(`${formatAmount(input.amountDue)} ${input.currency}`, RIGHT - 146, 140, { bold: true, size: 11, color: '#ffffff', align: 'right' })
  page.y += 28
  if (input.remainingAmount !== undefined) {
    page.text('Remaining to pay', x, 140, { color: COLOR.muted })
    page.text(`${formatAmount(input.remainingAmount)} ${input.currency}`, RIGHT - 120, 120, { align: 'right' })
    page.y += ROW
  }
  page.y += 10
  const credit = parseAmount(input.amountDue, 'amountDue').isNegative()
  page.text(credit
    ? 'This is a credit note: the amount shown is owed to you.'
    : `Please pay by ${showDate(input.paymentDueDate)}, quoting invoice number ${input.billNo}.`, LEFT, WIDTH, { color: COLOR.muted })
}

function drawFooters (doc: PDFKit.PDFDocument, input: BillDocumentInput): void {
  const { start, count } = doc.bufferedPageRange()
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i)
    // NOTE: pdfkit starts a new page for text below the bottom margin; the footer lives there on purpose.
    doc.page.margins.bottom = 0
    const y = PAGE.height - PAGE.margin - 8
    doc.moveTo(LEFT, y - 8).lineTo(RIGHT, y - 8).lineWidth(0.6).strokeColor(COLOR.rule).stroke()
    doc.font(FONT.regular).fontSize(8).fillColor(COLOR.muted)
    const left = clean(`${input.issuer ?? ''}${input.issuer === undefined ? '' : ' · '}Invoice ${input.billNo}`)
    doc.text(fit(doc, left, WIDTH - 100), LEFT, y, { lineBreak: false })
    doc.text(`Page ${i - start + 1} of ${count}`, RIGHT - 100, y, { width: 100, align: 'right', lineBreak: false })
  }
}

function sectionTitle (page: PageWriter, title: string): void {
  page.text(title, LEFT, WIDTH, { bold: true, size: 12, color: COLOR.accent })
  page.y += 20
}

/** Groups lines in order of first appearance; lines keep their order inside a group. */
function groupLines (lines: BillDocumentInput['lines']): Map<string, BillDocumentInput['lines']> {
  const groups = new Map<string, BillDocumentInput['lines']>()
  for (const line of lines) {
    const group = groups.get(line.group)
    if (group === undefined) groups.set(line.group, [line])
    else group.push(line)
  }
  return groups
}

/** '-1234567.5' → '-1,234,567.5': grouping only, the digits are shown exactly as calculated. */
function formatAmount (amount: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(amount)
  if (match === null) return amount
  return `${match[1] ?? ''}${(match[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${match[3] ?? ''}`
}

/** Tax rates are fractions ('0.2'); people read percentages ('20 %'). */
function formatRate (rate: string): string {
  try {
    return `${toDecimal(rate).times(100).toFixed()} %`
  } catch {
    return rate
  }
}

/** Shows the calendar date of an ISO date-time as written, without moving it to another time zone. */
function showDate (value: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : value
}

/**
 * Periods are [start, end): a customer reads the last day billed, so a period ending at 2026-11-01T00:00Z shows
 * as "to 2026-10-31". An end during a day (an on-demand bill) shows that day.
 */
function showLastDay (end: string): string {
  const date = new Date(end)
  if (Number.isNaN(date.getTime())) return end
  return new Date(date.getTime() - 1).toISOString().slice(0, 10)
}

function parseDate (value: string, what: string): Date {
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) throw new DomainError(ErrorCodes.INVALID_FIELD, `${what} is not a date: ${value}`)
  return date
}

// NOTE: the built-in Helvetica only encodes Windows-1252; other characters would print as blanks, so show '?'.
const EXTRA_WIN_ANSI = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')
function clean (text: string): string {
  let out = ''
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0) ?? 0
    if (code < 32 || (code >= 127 && code < 160)) out += ' '
    else if (code <= 255 || EXTRA_WIN_ANSI.has(ch)) out += ch
    else out += '?'
  }
  return out
}

/** Cuts text to the width of its column with an ellipsis, so a long product name never overlaps an amount. */
function fit (doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text
  let fits = 0
  let tooLong = text.length
  while (tooLong - fits > 1) {
    const middle = Math.floor((fits + tooLong) / 2)
    if (doc.widthOfString(`${text.slice(0, middle)}…`) <= width) fits = middle
    else tooLong = middle
  }
  return `${text.slice(0, fits)}…`
}

function collect (doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
}
