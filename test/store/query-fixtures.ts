import type { Kysely } from 'kysely'
import type { DialectName } from '../../src/store/dialect.ts'
import { columnTypes } from '../../src/store/migrations/0001-initial.ts'
import type { ResourceQueryMap } from '../../src/store/query-sql.ts'

/**
 * Ten customer bills shared by the SQL compiler tests (both stores) and the in-memory matcher tests, so
 * the same query is shown to select the same bills everywhere. Each bill is stored the way the real
 * store does it: a few indexed columns plus the whole representation in `body`.
 */

interface BillSpec {
  id: string
  account: [string, string]
  state: string
  billDate: string
  amountDue: string
  paperless: boolean
  period: [string, string]
  extra: Record<string, unknown>
}

const SPECS: BillSpec[] = [
  {
    id: 'CB-01', account: ['BA-1', 'Acme Ltd'], state: 'new', billDate: '2024-01-05T08:00:00.000Z', amountDue: '120.50',
    paperless: true, period: ['2023-12-01', '2024-01-01'],
    extra: {
      remainingAmount: { unit: 'EUR', value: 120.5 },
      taxItem: [{ taxCategory: 'VAT', taxRate: 0.2, taxAmount: { unit: 'EUR', value: 20.08 } }],
      relatedParty: [{ id: 'P-1', role: 'customer', name: 'Ada Lovelace' }],
      characteristic: [{ name: 'priority', value: 3 }]
    }
  },
  {
    id: 'CB-02', account: ['BA-1', 'Acme Ltd'], state: 'sent', billDate: '2024-01-05T23:59:59.999Z', amountDue: '99.99',
    paperless: false, period: ['2023-12-01', '2024-01-01'],
    extra: {
      remainingAmount: { unit: 'EUR', value: 0 },
      taxItem: [{ taxCategory: 'VAT', taxRate: 0.2 }, { taxCategory: 'EXCISE', taxRate: 0.05 }],
      relatedParty: [{ id: 'P-1', role: 'customer', name: 'Ada Lovelace' }, { id: 'P-9', role: 'billingContact', name: 'Grace Hopper' }],
      characteristic: [{ name: 'priority', value: '3' }]
    }
  },
  {
    id: 'CB-03', account: ['BA-2', 'Beta GmbH'], state: 'settled', billDate: '2024-01-06T00:00:00.000Z', amountDue: '10.00',
    paperless: true, period: ['2023-12-06', '2024-01-06'],
    extra: {
      remainingAmount: { unit: 'EUR', value: 0 },
      taxItem: [],
      relatedParty: [{ id: 'P-2', role: 'customer', name: 'Alan Turing' }],
      characteristic: [{ name: 'vip', value: true }]
    }
  },
  {
    id: 'CB-04', account: ['BA-2', 'Beta GmbH'], state: 'partiallyPaid', billDate: '2024-02-01T10:00:00.000Z', amountDue: '1000.00',
    paperless: false, period: ['2024-01-01', '2024-02-01'],
    extra: {
      remainingAmount: { unit: 'EUR', value: 400 },
      taxItem: [{ taxCategory: 'VAT', taxRate: 0.07 }],
      relatedParty: [{ id: 'P-2', role: 'customer' }],
      characteristic: [{ name: 'vip', value: false }, { name: 'priority', value: 10 }]
    }
  },
  {
    // No remainingAmount, taxItem, relatedParty or characteristic at all.
    id: 'CB-05', account: ['BA-3', 'Gamma & Sons'], state: 'onHold', billDate: '2023-12-31T12:00:00.000Z', amountDue: '0.00',
    paperless: true, period: ['2023-12-01', '2024-01-01'],
    extra: {}
  },
  {
    // taxItem holds a single object instead of an array.
    id: 'CB-06', account: ['BA-3', 'Gamma & Sons'], state: 'new', billDate: '2024-03-15T09:30:00.000Z', amountDue: '250.00',
    paperless: false, period: ['2024-03-01', '2024-04-01'],
    extra: {
      category: 'interim',
      billOnDemand: { id: 'OD-1' },
      remainingAmount: { unit: 'EUR', value: 250 },
      taxItem: { taxCategory: 'VAT', taxRate: 0.2 },
      relatedParty: [{ id: 'P-3', role: 'customer', name: "O'Brien" }]
    }
  },
  {
    // relatedParty has a bare string element next to an object.
    id: 'CB-07', account: ['BA-4', "x' OR 1=1 --"], state: 'sent', billDate: '2024-01-20T00:00:00.000Z', amountDue: '75.25',
    paperless: true, period: ['2023-12-20', '2024-01-20'],
    extra: {
      remainingAmount: { unit: 'EUR', value: 75.25 },
      taxItem: [{ taxCategory: 'VAT', taxRate: 0.2 }],
      relatedParty: [{ id: 'P-4', role: 'customer' }, 'P-5'],
      characteristic: [{ name: 'priority', value: 'high' }]
    }
  },
  {
    id: 'CB-08', account: ['BA-4', "x' OR 1=1 --"], state: 'settled', billDate: '2024-02-29T18:45:00.000Z', amountDue: '19.90',
    paperless: false, period: ['2024-02-01', '2024-03-01'],
    extra: {
      '@type': 'CustomerBillExt',
      remainingAmount: { unit: 'EUR', value: 0 },
      taxItem: [{ taxCategory: 'VAT', taxRate: 0.19 }],
      relatedParty: [{ id: 'P-4', role: 'payer' }]
    }
  },
  {
    id: 'CB-09', account: ['BA-1', 'Acme Ltd'], state: 'new', billDate: '2024-01-31T23:00:00.000Z', amountDue: '5.50',
    paperless: true, period: ['2024-01-01', '2024-02-01'],
    extra: {
      remainingAmount: { unit: 'EUR', value: 5.5 },
      billOnDemand: { id: 'OD-2' },
      taxItem: [{ taxCategory: 'EXCISE', taxRate: 0.05 }],
      relatedParty: [{ id: 'P-1', role: 'payer' }]
    }
  },
  {
    // remainingAmount.value is a string here: a number filter must not treat it as a number.
    id: 'CB-10', account: ['BA-5', 'delta'], state: 'new', billDate: '2024-01-05T00:00:00.000Z', amountDue: '300.00',
    paperless: false, period: ['2023-12-05', '2024-01-05'],
    extra: {
      remainingAmount: { unit: 'EUR', value: '300' },
      taxItem: [{ taxCategory: 'VAT', taxRate: 0.2 }]
    }
  }
]

function toBody (spec: BillSpec): Record<string, unknown> {
  const n = spec.id.slice(3)
  return {
    id: spec.id,
    href: `http://localhost/tmf-api/customerBillManagement/v4/customerBill/${spec.id}`,
    '@type': 'CustomerBill',
    billNo: `B-00${n}`,
    state: spec.state,
    runType: 'onCycle',
    category: 'normal',
    billDate: spec.billDate,
    amountDue: { unit: 'EUR', value: Number(spec.amountDue) },
    paperless: spec.paperless,
    billingAccount: { id: spec.account[0], name: spec.account[1], '@referredType': 'BillingAccount' },
    billingPeriod: { startDateTime: `${spec.period[0]}T00:00:00.000Z`, endDateTime: `${spec.period[1]}T00:00:00.000Z` },
    ...spec.extra
  }
}

export const BILLS: ReadonlyArray<Record<string, unknown>> = SPECS.map(toBody)

export const ALL_IDS = SPECS.map((s) => s.id)

/** How the test table maps attributes to columns; everything else is read from `body`. */
export const BILL_MAP: ResourceQueryMap = {
  table: 'customer_bill',
  columns: {
    id: { column: 'id', type: 'text' },
    billNo: { column: 'bill_no', type: 'text' },
    'billingAccount.id': { column: 'billing_account_id', type: 'text' },
    state: { column: 'state', type: 'text' },
    billDate: { column: 'bill_date', type: 'time' },
    'amountDue.value': { column: 'amount_due', type: 'money' },
    paperless: { column: 'paperless', type: 'bool' },
    'billOnDemand.id': { column: 'on_demand_id', type: 'text', nullable: true }
  },
  arrays: ['taxItem', 'relatedParty', 'characteristic', 'billDocument', 'appliedPayment'],
  defaultSort: []
}

export async function createBillTable (db: Kysely<any>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect)
  await db.schema.createTable('customer_bill')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bill_no', 'text', (c) => c.notNull())
    .addColumn('billing_account_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('bill_date', t.time, (c) => c.notNull())
    .addColumn('amount_due', t.money, (c) => c.notNull())
    .addColumn('paperless', t.bool, (c) => c.notNull())
    .addColumn('on_demand_id', 'text')
    .addColumn('body', t.json, (c) => c.notNull())
    .execute()
  await db.insertInto('customer_bill').values(SPECS.map((spec, i) => {
    const body = BILLS[i] ?? {}
    return {
      id: spec.id,
      bill_no: body.billNo,
      billing_account_id: spec.account[0],
      state: spec.state,
      bill_date: spec.billDate,
      amount_due: spec.amountDue,
      paperless: spec.paperless ? 1 : 0,
      on_demand_id: (body.billOnDemand as { id?: string } | undefined)?.id ?? null,
      body: JSON.stringify(body)
    }
  })).execute()
}

/**
 * Filter queries (as a client writes them in a URL) and the bills they select, in id order. They hold
 * for both stores and for the in-memory matcher.
 */
export const FILTER_CASES: ReadonlyArray<readonly [string, string[]]> = [
  // equality, OR lists, AND across keys (indexed text columns)
  ['state=new', ['CB-01', 'CB-06', 'CB-09', 'CB-10']],
  ['state=new,settled', ['CB-01', 'CB-03', 'CB-06', 'CB-08', 'CB-09', 'CB-10']],
  ['state=new&state=settled', ['CB-01', 'CB-03', 'CB-06', 'CB-08', 'CB-09', 'CB-10']],
  ['state=new;state=settled', ['CB-01', 'CB-03', 'CB-06', 'CB-08', 'CB-09', 'CB-10']],
  ['state.eq=settled', ['CB-03', 'CB-08']],
  ['state==settled', ['CB-03', 'CB-08']],
  ['state!=new', ['CB-02', 'CB-03', 'CB-04', 'CB-05', 'CB-07', 'CB-08']],
  ['state.ne=new,settled', ['CB-02', 'CB-04', 'CB-05', 'CB-07']],
  ['state=new&billingAccount.id=BA-1', ['CB-01', 'CB-09']],
  ['id=CB-03,CB-07', ['CB-03', 'CB-07']],
  ['state=nothing', []],
  // money column: numeric, not textual, comparison
  ['amountDue.value>=100', ['CB-01', 'CB-04', 'CB-06', 'CB-10']],
  ['amountDue.value.gt=99.99', ['CB-01', 'CB-04', 'CB-06', 'CB-10']],
  ['amountDue.value.gte=99.99', ['CB-01', 'CB-02', 'CB-04', 'CB-06', 'CB-10']],
  ['amountDue.value<10', ['CB-05', 'CB-09']],
  ['amountDue.value.lte=10', ['CB-03', 'CB-05', 'CB-09']],
  ['amountDue.value=10', ['CB-03']],
  ['amountDue.value>10&amountDue.value<100', ['CB-02', 'CB-07', 'CB-08']],
  // boolean column from the strings true/false
  ['paperless=true', ['CB-01', 'CB-03', 'CB-05', 'CB-07', 'CB-09']],
  ['paperless=false', ['CB-02', 'CB-04', 'CB-06', 'CB-08', 'CB-10']],
  ['paperless!=true', ['CB-02', 'CB-04', 'CB-06', 'CB-08', 'CB-10']],
  // timestamp column: a date-only value is the whole UTC day
  ['billDate=2024-01-05', ['CB-01', 'CB-02', 'CB-10']],
  ['billDate.gt=2024-01-05', ['CB-03', 'CB-04', 'CB-06', 'CB-07', 'CB-08', 'CB-09']],
  ['billDate.lte=2024-01-05', ['CB-01', 'CB-02', 'CB-05', 'CB-10']],
  ['billDate.lt=2024-01-05', ['CB-05']],
  ['billDate.gte=2024-01-06T00:00:00Z', ['CB-03', 'CB-04', 'CB-06', 'CB-07', 'CB-08', 'CB-09']],
  ['billDate=2024-01-06T00:00:00Z', ['CB-03']],
  ['billDate=2024-01-06T01:00:00%2B01:00', ['CB-03']],
  ['billDate!=2024-01-05', ['CB-03', 'CB-04', 'CB-05', 'CB-06', 'CB-07', 'CB-08', 'CB-09']],
  // date-time strings inside the body behave the same
  ['billingPeriod.startDateTime=2023-12-01', ['CB-01', 'CB-02', 'CB-05']],
  ['billingPeriod.startDateTime.gte=2024-01-01', ['CB-04', 'CB-06', 'CB-08', 'CB-09']],
  ['billingPeriod.startDateTime.lt=2023-12-06', ['CB-01', 'CB-02', 'CB-05', 'CB-10']],
  ['billingPeriod.endDateTime.lte=2024-01-05', ['CB-01', 'CB-02', 'CB-05', 'CB-10']],
  ['billingPeriod.endDateTime=2024-01-06T00:00:00Z', ['CB-03']],
  // unmapped attributes (JSON body), dot notation into objects
  ['category=interim', ['CB-06']],
  ['category!=normal', ['CB-06']],
  ['billingAccount.name=Acme+Ltd', ['CB-01', 'CB-02', 'CB-09']],
  ['billingAccount.name=Acme%20Ltd&state=new', ['CB-01', 'CB-09']],
  ['@type=CustomerBillExt', ['CB-08']],
  // a nullable column: `ne` also selects the bills without the attribute
  ['billOnDemand.id=OD-1,OD-2', ['CB-06', 'CB-09']],
  ['billOnDemand.id!=OD-1', ['CB-01', 'CB-02', 'CB-03', 'CB-04', 'CB-05', 'CB-07', 'CB-08', 'CB-09', 'CB-10']],
  ['@type!=CustomerBillExt', ['CB-01', 'CB-02', 'CB-03', 'CB-04', 'CB-05', 'CB-06', 'CB-07', 'CB-09', 'CB-10']],
  ['billingAccount.%40referredType=BillingAccount&state=onHold', ['CB-05']],
  // values are parameters, never SQL
  ["billingAccount.name=x'%20OR%201=1%20--", ['CB-07', 'CB-08']],
  ["state=x'%20OR%201=1%20--", []],
  ["state=new'%20OR%20'1'='1", []],
  ['billNo=B-0001%22)%20OR%20(1=1', []],
  // numbers and strings inside the body: type-aware
  ['remainingAmount.value.gt=100', ['CB-01', 'CB-04', 'CB-06']],
  ['remainingAmount.value=300', ['CB-10']],
  ['remainingAmount.value=0', ['CB-02', 'CB-03', 'CB-08']],
  ['remainingAmount.value!=0', ['CB-01', 'CB-04', 'CB-05', 'CB-06', 'CB-07', 'CB-09', 'CB-10']],
  ['remainingAmount.value=0.0', ['CB-02', 'CB-03', 'CB-08']],
  // arrays: any element matches
  ['taxItem.taxCategory=EXCISE', ['CB-02', 'CB-09']],
  ['taxItem.taxCategory=VAT', ['CB-01', 'CB-02', 'CB-04', 'CB-06', 'CB-07', 'CB-08', 'CB-10']],
  ['taxItem.taxCategory!=VAT', ['CB-03', 'CB-05', 'CB-09']],
  ['taxItem.taxRate.lt=0.1', ['CB-02', 'CB-04', 'CB-09']],
  ['taxItem.taxRate=0.2', ['CB-01', 'CB-02', 'CB-06', 'CB-07', 'CB-10']],
  ['relatedParty.id=P-1', ['CB-01', 'CB-02', 'CB-09']],
  ['relatedParty.role=payer', ['CB-08', 'CB-09']],
  ['relatedParty.id=P-4&relatedParty.role=customer', ['CB-07']],
  ['relatedParty=P-5', ['CB-07']],
  ['relatedParty.name=O%27Brien', ['CB-06']],
  ['characteristic.value=3', ['CB-01', 'CB-02']],
  ['characteristic.value=true', ['CB-03']],
  ['characteristic.value=false', ['CB-04']],
  ['characteristic.value.gt=5', ['CB-04']],
  ['characteristic.value.gte=3', ['CB-01', 'CB-04']],
  ['characteristic.value.gt=b', ['CB-07']],
  ['characteristic.name=priority&characteristic.value=high', ['CB-07']],
  // regular expressions
  ['billNo.regex=0(1|10)$', ['CB-01', 'CB-10']],
  ['billNo=~^B-000[2-3]$', ['CB-02', 'CB-03']],
  ['state*=Paid$', ['CB-04']],
  ['billNo.regex=^B-0{2,3}1$', ['CB-01']],
  ['relatedParty.name.regex=^A', ['CB-01', 'CB-02', 'CB-03']],
  ['billingAccount.name.regex=%5EGamma', ['CB-05', 'CB-06']],
  ['billDate.regex=T23:', ['CB-02', 'CB-09']],
  ['taxItem.taxRate.regex=0', []]
]

/** Sort queries and the exact order they give (filters: none). */
export const SORT_CASES: ReadonlyArray<readonly [string, string[]]> = [
  ['sort=-amountDue.value', ['CB-04', 'CB-10', 'CB-06', 'CB-01', 'CB-02', 'CB-07', 'CB-08', 'CB-03', 'CB-09', 'CB-05']],
  ['sort=billingAccount.id,-billDate', ['CB-09', 'CB-02', 'CB-01', 'CB-04', 'CB-03', 'CB-06', 'CB-05', 'CB-08', 'CB-07', 'CB-10']],
  ['sort=remainingAmount.value', ['CB-02', 'CB-03', 'CB-08', 'CB-09', 'CB-07', 'CB-01', 'CB-06', 'CB-04', 'CB-10', 'CB-05']],
  ['sort=-remainingAmount.value', ['CB-05', 'CB-10', 'CB-04', 'CB-06', 'CB-01', 'CB-07', 'CB-09', 'CB-08', 'CB-03', 'CB-02']],
  ['sort=billingAccount.name', ['CB-01', 'CB-02', 'CB-09', 'CB-03', 'CB-04', 'CB-05', 'CB-06', 'CB-10', 'CB-07', 'CB-08']],
  ['sort=billOnDemand.id', ['CB-06', 'CB-09', 'CB-01', 'CB-02', 'CB-03', 'CB-04', 'CB-05', 'CB-07', 'CB-08', 'CB-10']],
  ['sort=-billOnDemand.id', ['CB-10', 'CB-08', 'CB-07', 'CB-05', 'CB-04', 'CB-03', 'CB-02', 'CB-01', 'CB-09', 'CB-06']],
  ['sort=state,-id', ['CB-10', 'CB-09', 'CB-06', 'CB-01', 'CB-05', 'CB-04', 'CB-07', 'CB-02', 'CB-08', 'CB-03']],
  ['sort=%2Bstate&sort=-billDate', ['CB-06', 'CB-09', 'CB-01', 'CB-10', 'CB-05', 'CB-04', 'CB-07', 'CB-02', 'CB-08', 'CB-03']],
  ['sort=paperless,-billDate&state=new,sent', ['CB-06', 'CB-02', 'CB-10', 'CB-09', 'CB-07', 'CB-01']]
]
