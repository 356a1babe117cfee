import type { BillRecord, OnDemandRecord, RateRecord } from './records.ts'

/** Where the TMF678 v4 API lives below the public URL. */
export const API_PATH = '/tmf-api/customerBillManagement/v4'

/**
 * Builds the TMF representations. `href`s are derived from the configured public URL at read time and are
 * never stored, so moving the service behind another host name needs no data migration.
 */
export function rateResource (r: RateRecord, baseUrl: string): Record<string, unknown> {
  const api = baseUrl + API_PATH
  return {
    id: r.id,
    href: `${api}/appliedCustomerBillingRate/${r.id}`,
    ...r.body,
    isBilled: r.isBilled,
    ...(r.billId !== null ? { bill: { id: r.billId, href: `${api}/customerBill/${r.billId}`, '@referredType': 'CustomerBill' } } : {}),
    '@type': r.body['@type'] ?? 'AppliedCustomerBillingRate'
  }
}

export function billResource (b: BillRecord, baseUrl: string): Record<string, unknown> {
  const api = baseUrl + API_PATH
  const docs = (b.body.billDocument as Record<string, unknown>[] | undefined) ?? []
  return {
    id: b.id,
    href: `${api}/customerBill/${b.id}`,
    ...b.body,
    billDocument: docs.map((d) => ({ ...d, href: `${api}/customerBill/${b.id}/billDocument/${String(d.id)}`, url: `${api}/customerBill/${b.id}/billDocument/${String(d.id)}` })),
    state: b.state,
    lastUpdate: b.lastUpdate,
    remainingAmount: { unit: b.currency, value: Number(b.remainingAmount) },
    '@type': 'CustomerBill'
  }
}

export function onDemandResource (r: OnDemandRecord, baseUrl: string): Record<string, unknown> {
  const api = baseUrl + API_PATH
  return {
    id: r.id,
    href: `${api}/customerBillOnDemand/${r.id}`,
    ...r.body,
    state: r.state,
    lastUpdate: r.lastUpdate,
    ...(r.customerBillId !== null
      ? { customerBill: { id: r.customerBillId, href: `${api}/customerBill/${r.customerBillId}`, '@referredType': 'CustomerBill' } }
      : {}),
    '@type': 'CustomerBillOnDemand'
  }
}
