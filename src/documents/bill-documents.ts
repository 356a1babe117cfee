import type { BillRecord } from '../domain/records.ts'
import { DomainError, ErrorCodes } from '../domain/errors.ts'
import { groupRatesForDocument } from '../domain/bill-calculation.ts'
import { billableRate } from '../domain/bill-account.ts'
import { toAmountString, toDecimal } from '../domain/money.ts'
import type { Db, Store } from '../store/database.ts'
import { findBill, updateBill } from '../store/bills.ts'
import { claimPendingDocument, findBillDocument, findPendingDocuments, saveRenderedDocument } from '../store/documents.ts'
import { findRatesOfBill } from '../store/rates.ts'
import { type BillDocumentInput, renderBillPdf } from './bill-pdf.ts'

export interface DocumentDeps { store: Store; issuerName: string; now: () => Date }

type Money = { unit: string; value: number }

/** The document's content, from the bill and its rates as stored: rendering twice gives the same bytes. */
async function documentInput (db: Db, bill: BillRecord, issuer: string): Promise<BillDocumentInput> {
  const rates = await findRatesOfBill(db, bill.id)
  const body = bill.body as { billingPeriod: { startDateTime: string; endDateTime: string }; billingAccount: { id: string; name?: string };
    taxItem: { taxCategory: string; taxRate: number; taxAmount: Money }[]; taxExcludedAmount: Money; taxIncludedAmount: Money }
  const amount = (m: Money) => toAmountString(toDecimal(String(m.value)), bill.currency)
  return {
    billNo: bill.billNo,
    billDate: bill.billDate,
    paymentDueDate: bill.paymentDueDate,
    billingPeriod: body.billingPeriod,
    billingAccount: body.billingAccount,
    currency: bill.currency,
    issuer,
    lines: groupRatesForDocument(rates.map(billableRate)),
    taxItems: body.taxItem.map((t) => ({ taxCategory: t.taxCategory, taxRate: String(t.taxRate), taxAmount: amount(t.taxAmount) })),
    taxExcludedAmount: amount(body.taxExcludedAmount),
    taxIncludedAmount: amount(body.taxIncludedAmount),
    amountDue: toAmountString(toDecimal(bill.amountDue), bill.currency)
  }
}

/** Renders the PDF of a bill from what `db` holds. */
async function renderFor (db: Db, billId: string, issuer: string): Promise<Buffer> {
  const bill = await findBill(db, billId)
  if (!bill) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No CustomerBill with id ${billId}`)
  return renderBillPdf(await documentInput(db, bill, issuer))
}

/** Stores a rendered PDF and records its size on the bill's billDocument; false when it was stored already. */
async function saveDocument (db: Db, doc: { id: string; billId: string }, pdf: Buffer, deps: DocumentDeps): Promise<boolean> {
  if (!await saveRenderedDocument(db, doc.id, pdf, deps.now().toISOString())) return false
  const current = await findBill(db, doc.billId, deps.store.dialect.supportsSkipLocked)
  if (!current) return true
  const docs = (current.body.billDocument as Record<string, unknown>[]).map((d) =>
    d.id === doc.id ? { ...d, size: { amount: pdf.length, units: 'bytes' } } : d)
  await updateBill(db, { ...current, body: { ...current.body, billDocument: docs } })
  return true
}

/**
 * Renders one bill's PDF, stores it and records its size on the bill's billDocument. Bills are rendered
 * after they are committed (docs/decisions/0008-bill-documents.md), so a bill run is not slowed by PDFs.
 * Rendering is deterministic, so when two renderers meet, the first save wins and both hand out the same bytes.
 */
export async function renderDocument (documentId: string, deps: DocumentDeps): Promise<Buffer> {
  const doc = await findBillDocument(deps.store.db, documentId)
  if (!doc) throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `No bill document ${documentId}`)
  if (doc.content) return doc.content
  const pdf = await renderFor(deps.store.db, doc.billId, deps.issuerName)
  await deps.store.transaction((trx) => saveDocument(trx, doc, pdf, deps))
  return pdf
}

/**
 * Renders up to `limit` waiting documents; returns how many it rendered. On PostgreSQL each document is
 * claimed with `FOR UPDATE SKIP LOCKED` and rendered inside that transaction, so several server processes
 * share the work instead of all rendering every PDF. SQLite has one server per file: no claim needed, and
 * rendering outside the transaction keeps the single write lock free for the API meanwhile.
 */
export async function renderPendingDocuments (deps: DocumentDeps, limit = 50): Promise<number> {
  if (!deps.store.dialect.supportsSkipLocked) {
    const pending = await findPendingDocuments(deps.store.db, limit)
    for (const p of pending) await renderDocument(p.id, deps)
    return pending.length
  }
  let rendered = 0
  // Documents are claimed in id order, each after the last one taken; from the start again when none is left
  // after it (another process may have skipped one that is free now).
  let after: string | undefined
  while (rendered < limit) {
    const claimed = await deps.store.transaction(async (trx) => {
      const doc = await claimPendingDocument(trx, after) ?? (after !== undefined ? await claimPendingDocument(trx) : undefined)
      if (!doc) return undefined
      await saveDocument(trx, doc, await renderFor(trx, doc.billId, deps.issuerName), deps)
      return doc.id
    })
    if (claimed === undefined) break
    after = claimed
    rendered++
  }
  return rendered
}

/** A bill's document for download, rendered now if the background renderer has not reached it yet. */
export async function readBillDocument (billId: string, documentId: string, deps: DocumentDeps): Promise<{ content: Buffer; mimeType: string; name: string }> {
  const doc = await findBillDocument(deps.store.db, documentId)
  if (!doc || doc.billId !== billId) {
    throw new DomainError(ErrorCodes.NOT_FOUND, 'Resource not found', `CustomerBill ${billId} has no document ${documentId}`)
  }
  const content = doc.content ?? await renderDocument(documentId, deps)
  const bill = await findBill(deps.store.db, billId)
  return { content, mimeType: doc.mimeType, name: `${bill?.billNo ?? documentId}.pdf` }
}
