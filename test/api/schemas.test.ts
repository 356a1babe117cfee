import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import {
  AJV_CUSTOM_OPTIONS, AppliedCustomerBillingRateCreateSchema, AppliedCustomerBillingRateSchema, CUSTOMER_BILL_STATES,
  CustomerBillOnDemandCreateSchema, CustomerBillOnDemandSchema, CustomerBillSchema, CustomerBillUpdateSchema,
  ErrorSchema, EventSubscriptionInputSchema, EventSubscriptionSchema, ON_DEMAND_STATES, PaymentCreateSchema,
  PaymentSchema, TMF678_DEFINITIONS
} from '../../src/api/schemas/index.ts'

// In the repository and in CI, the shared specs sit beside the clone: <root>/../shared.
const SPEC_PATH = fileURLToPath(new URL('../../../shared/tmf678/TMF678-CustomerBill-v4.0.0.swagger.json', import.meta.url))

interface SpecProperty { type?: string, format?: string, $ref?: string }
interface SpecDefinition {
  description?: string
  required?: string[]
  properties?: Record<string, SpecProperty>
  enum?: string[]
}

function loadSpecDefinitions (): Record<string, SpecDefinition> {
  const swagger = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { definitions: Record<string, SpecDefinition> }
  return swagger.definitions
}

function check (schema: TSchema, value: unknown): boolean {
  return TypeCompiler.Compile(schema).Check(value)
}

/** The distinct paths TypeBox reports (a missing property is reported once as missing and once by type). */
function errorPaths (schema: TSchema, value: unknown): string[] {
  return [...new Set([...TypeCompiler.Compile(schema).Errors(value)].map((e) => e.path))]
}

const fullBill = {
  id: 'cb-2024-05-000123',
  href: 'https://bill.example.net/tmf-api/customerBillManagement/v4/customerBill/cb-2024-05-000123',
  billDate: '2024-06-01T00:00:00Z',
  billNo: 'INV-2024-000123',
  category: 'normal',
  lastUpdate: '2024-06-03T09:12:44.120Z',
  nextBillDate: '2024-07-01T00:00:00Z',
  paymentDueDate: '2024-07-01T00:00:00+02:00',
  runType: 'onCycle',
  amountDue: { unit: 'EUR', value: 59.88 },
  appliedPayment: [{
    appliedAmount: { unit: 'EUR', value: 10 },
    payment: { id: 'pay-77', href: 'https://bill.example.net/payment/pay-77', name: 'SEPA credit transfer', '@referredType': 'Payment' }
  }],
  billDocument: [{
    id: 'doc-cb-2024-05-000123',
    href: 'https://bill.example.net/documents/doc-cb-2024-05-000123',
    attachmentType: 'bill',
    mimeType: 'application/pdf',
    name: 'INV-2024-000123.pdf',
    url: 'https://bill.example.net/tmf-api/customerBillManagement/v4/customerBill/cb-2024-05-000123/document',
    size: { amount: 48213, units: 'bytes' },
    validFor: { startDateTime: '2024-06-01T00:00:00Z' },
    '@type': 'Attachment',
    '@referredType': 'Document'
  }],
  billingAccount: { id: 'ba-1001', href: 'https://bill.example.net/billingAccount/ba-1001', name: 'Acme GmbH', '@referredType': 'BillingAccount' },
  billingPeriod: { startDateTime: '2024-05-01T00:00:00Z', endDateTime: '2024-06-01T00:00:00Z' },
  financialAccount: {
    id: 'fa-88',
    name: 'Acme receivables',
    accountBalance: [{
      balanceType: 'receivable balance',
      amount: { unit: 'EUR', value: 69.88 },
      validFor: { startDateTime: '2024-06-01T00:00:00Z' }
    }]
  },
  paymentMethod: { id: 'pm-sepa-dd-3', name: 'SEPA direct debit', '@referredType': 'BankAccountDebit' },
  relatedParty: [
    { id: 'org-5', name: 'Acme GmbH', role: 'payer', '@referredType': 'Organization' },
    { id: 'ind-9', name: 'Jane Roe', role: 'billReceiver', '@referredType': 'Individual' }
  ],
  remainingAmount: { unit: 'EUR', value: 49.88 },
  state: 'sent',
  taxExcludedAmount: { unit: 'EUR', value: 50.32 },
  taxIncludedAmount: { unit: 'EUR', value: 59.88 },
  taxItem: [{ taxCategory: 'VAT', taxRate: 0.19, taxAmount: { unit: 'EUR', value: 9.56 }, '@type': 'TaxItem' }],
  '@baseType': 'CustomerBill',
  '@schemaLocation': 'https://bill.example.net/schemas/CustomerBill.json',
  '@type': 'CustomerBill'
}

const rate = {
  date: '2024-05-17T10:00:00Z',
  name: 'Fibre 1000 monthly fee',
  description: 'Monthly fee, May 2024',
  type: 'recurringCharge',
  externalId: 'rating-42-0001',
  billingAccount: { id: 'ba-1001' },
  product: { id: 'prod-fibre-1000', name: 'Fibre 1000' },
  periodCoverage: { startDateTime: '2024-05-01T00:00:00Z', endDateTime: '2024-06-01T00:00:00Z' },
  taxExcludedAmount: { unit: 'EUR', value: '39.90' },
  taxIncludedAmount: { unit: 'EUR', value: 47.48 },
  appliedTax: [{ taxCategory: 'VAT', taxRate: 0.19, taxAmount: { unit: 'EUR', value: '7.58' } }],
  characteristic: [{ name: 'downloadSpeed', valueType: 'string', value: '1000 Mbit/s' }],
  '@type': 'AppliedCustomerBillingRate'
}

describe('schemas against the TMF678 v4.0.0 swagger', { skip: existsSync(SPEC_PATH) ? false : `spec not found at ${SPEC_PATH}` }, () => {
  it('has a counterpart for each of the 32 definitions, titled and described as in the spec', () => {
    const definitions = loadSpecDefinitions()
    assert.equal(Object.keys(definitions).length, 32)
    assert.deepEqual(Object.keys(TMF678_DEFINITIONS).sort(), Object.keys(definitions).sort())
    for (const [name, definition] of Object.entries(definitions)) {
      const ours = TMF678_DEFINITIONS[name] as TSchema
      assert.equal(ours.title, name)
      if (definition.description !== undefined && definition.description !== '') {
        assert.ok(String(ours.description).startsWith(definition.description), `${name}: description differs from the spec`)
      }
    }
  })

  it('declares every spec attribute, in the spec order, for resources and sub-resources', () => {
    for (const [name, definition] of Object.entries(loadSpecDefinitions())) {
      const specNames = Object.keys(definition.properties ?? {})
      const ourNames = Object.keys((TMF678_DEFINITIONS[name] as TSchema).properties ?? {})
      const missing = specNames.filter((p) => !ourNames.includes(p))
      assert.deepEqual(missing, [], `${name} lacks ${missing.join(', ')}`)
      assert.deepEqual(ourNames.filter((p) => specNames.includes(p)), specNames, `${name}: attribute order differs`)
    }
  })

  it('gives each attribute the spec type and date-time/uri format, and keeps the spec enumerations', () => {
    for (const [name, definition] of Object.entries(loadSpecDefinitions())) {
      const ours = TMF678_DEFINITIONS[name] as TSchema
      if (definition.enum !== undefined) assert.deepEqual(ours.enum, definition.enum, name)
      for (const [property, spec] of Object.entries(definition.properties ?? {})) {
        const our = (ours.properties as Record<string, TSchema>)[property] as TSchema
        if (spec.type !== undefined) assert.equal(our.type, spec.type, `${name}.${property} type`)
        if (spec.format === 'date-time' || spec.format === 'uri') assert.equal(our.format, spec.format, `${name}.${property} format`)
        if (spec.$ref !== undefined) assert.equal(our.title, spec.$ref.replace('#/definitions/', ''), `${name}.${property} $ref`)
      }
    }
  })

  it('keeps the spec required lists except on resources, which require nothing', () => {
    for (const [name, definition] of Object.entries(loadSpecDefinitions())) {
      const ours = TMF678_DEFINITIONS[name] as TSchema
      const expected = name === 'AppliedCustomerBillingRate' ? [] : (definition.required ?? [])
      assert.deepEqual([...(ours.required as string[] | undefined ?? [])].sort(), [...expected].sort(), name)
    }
  })
})

describe('CustomerBill', () => {
  it('accepts a complete, spec-shaped bill', () => {
    assert.deepEqual(errorPaths(CustomerBillSchema, fullBill), [])
  })

  it('requires nothing anywhere, so fields selections like billingAccount.name still validate', () => {
    assert.ok(check(CustomerBillSchema, { billingAccount: { name: 'Acme GmbH' }, relatedParty: [{ role: 'payer' }] }))
    assert.ok(check(CustomerBillSchema, {}))
  })

  it('refuses a state outside stateValue and a Money value written as a string', () => {
    assert.deepEqual(errorPaths(CustomerBillSchema, { ...fullBill, state: 'paid' }), ['/state'])
    assert.deepEqual(errorPaths(CustomerBillSchema, { ...fullBill, amountDue: { unit: 'EUR', value: '59.88' } }), ['/amountDue/value'])
  })

  it('exports the six bill states and the four on-demand states in spec order', () => {
    assert.deepEqual(CUSTOMER_BILL_STATES, ['new', 'onHold', 'validated', 'sent', 'partiallyPaid', 'settled'])
    assert.deepEqual(ON_DEMAND_STATES, ['inProgress', 'rejected', 'done', 'terminatedWithError'])
  })
})

describe('CustomerBill_Update', () => {
  it('accepts a state change', () => {
    assert.ok(check(CustomerBillUpdateSchema, { state: 'onHold' }))
    assert.ok(check(CustomerBillUpdateSchema, { state: 'onHold', '@type': 'CustomerBill' }))
  })

  it('refuses any attribute but state and the @ attributes, and unknown states', () => {
    assert.deepEqual(errorPaths(CustomerBillUpdateSchema, { amountDue: { unit: 'EUR', value: 0 } }), ['/amountDue'])
    assert.deepEqual(errorPaths(CustomerBillUpdateSchema, { state: 'bogus' }), ['/state'])
  })
})

describe('CustomerBillOnDemand', () => {
  it('accepts a create with a single relatedParty object and extra sub-class attributes', () => {
    assert.ok(check(CustomerBillOnDemandCreateSchema, {
      name: 'closing bill',
      billingAccount: { id: 'ba-1001' },
      relatedParty: { id: 'org-5', '@referredType': 'Organization' },
      '@type': 'AcmeBillOnDemand',
      closingReason: 'contract end'
    }))
  })

  it('refuses a relatedParty array and references without id', () => {
    assert.ok(!check(CustomerBillOnDemandCreateSchema, { relatedParty: [{ id: 'org-5' }] }))
    assert.deepEqual(errorPaths(CustomerBillOnDemandCreateSchema, { billingAccount: { name: 'Acme' } }), ['/billingAccount/id'])
  })

  it('returns lastUpdate as a plain string and relatedParty as one object', () => {
    assert.ok(check(CustomerBillOnDemandSchema, {
      id: 'cbod-1', lastUpdate: 'yesterday', state: 'done', relatedParty: { id: 'org-5' }, customerBill: { id: 'cb-1' }
    }))
    assert.ok(!check(CustomerBillOnDemandSchema, { relatedParty: [] }))
  })
})

describe('AppliedCustomerBillingRate_Create (rate ingest)', () => {
  it('accepts a rated charge with decimal-string and number amounts', () => {
    assert.deepEqual(errorPaths(AppliedCustomerBillingRateCreateSchema, rate), [])
  })

  it('refuses server-owned attributes', () => {
    for (const owned of ['id', 'href', 'isBilled', 'bill'] as const) {
      const value = owned === 'isBilled' ? false : owned === 'bill' ? { id: 'cb-1' } : 'x'
      assert.deepEqual(errorPaths(AppliedCustomerBillingRateCreateSchema, { ...rate, [owned]: value }), [`/${owned}`], owned)
    }
  })

  it('explains the refusal in TypeBox messages too, as bulk imports report them', () => {
    const messages = [...TypeCompiler.Compile(AppliedCustomerBillingRateCreateSchema).Errors({ ...rate, isBilled: true })].map((e) => e.message)
    assert.deepEqual(messages, ['Is set by the server and must not be sent'])
    const state = [...TypeCompiler.Compile(CustomerBillUpdateSchema).Errors({ state: 'paid' })].map((e) => e.message)
    assert.deepEqual(state, ['Expected one of: new, onHold, validated, sent, partiallyPaid, settled'])
  })

  it('refuses exponent and non-numeric amounts and lower-case currencies', () => {
    for (const value of ['1e5', 'abc', '12.', '', ' 12']) {
      assert.ok(!check(AppliedCustomerBillingRateCreateSchema, { ...rate, taxExcludedAmount: { unit: 'EUR', value } }), value)
    }
    assert.ok(!check(AppliedCustomerBillingRateCreateSchema, { ...rate, taxExcludedAmount: { unit: 'eur', value: 1 } }))
    assert.ok(check(AppliedCustomerBillingRateCreateSchema, { ...rate, taxExcludedAmount: { unit: 'EUR', value: '-5' } }))
  })

  it('requires date, billingAccount with id, and a complete taxExcludedAmount', () => {
    const { date: _date, ...withoutDate } = rate
    assert.deepEqual(errorPaths(AppliedCustomerBillingRateCreateSchema, withoutDate), ['/date'])
    assert.ok(!check(AppliedCustomerBillingRateCreateSchema, { ...rate, date: '2024-05-17' }))
    assert.ok(!check(AppliedCustomerBillingRateCreateSchema, { ...rate, billingAccount: {} }))
    assert.ok(!check(AppliedCustomerBillingRateCreateSchema, { ...rate, taxExcludedAmount: { value: 1 } }))
  })

  it('refuses misspelt attributes', () => {
    assert.deepEqual(errorPaths(AppliedCustomerBillingRateCreateSchema, { ...rate, taxExcludedAmmount: { unit: 'EUR', value: 1 } }), ['/taxExcludedAmmount'])
  })

  it('is returned with isBilled, bill and externalId', () => {
    assert.ok(check(AppliedCustomerBillingRateSchema, {
      ...rate, id: 'acbr-1', taxExcludedAmount: { unit: 'EUR', value: 39.9 }, appliedTax: [], isBilled: true, bill: { id: 'cb-1' }
    }))
  })
})

describe('hub, payment and error schemas', () => {
  it('requires an absolute callback and a secret of 16 characters or more, and refuses unknown attributes', () => {
    assert.ok(check(EventSubscriptionInputSchema, { callback: 'https://crm.example.net/listener', secret: 'x'.repeat(16) }))
    assert.ok(!check(EventSubscriptionInputSchema, { callback: '/listener' }))
    assert.ok(!check(EventSubscriptionInputSchema, { callback: 'https://crm.example.net/listener', secret: 'short' }))
    assert.ok(!check(EventSubscriptionInputSchema, { callback: 'https://crm.example.net/listener', secrets: 'x'.repeat(16) }))
    assert.deepEqual(Object.keys(EventSubscriptionSchema.properties), ['id', 'callback', 'query'])
  })

  it('takes a payment with totalAmount for a billing account, allocated to customer bills only', () => {
    const payment = {
      externalId: 'bank-2024-06-05-0007',
      account: { id: 'ba-1001', '@referredType': 'BillingAccount' },
      totalAmount: { unit: 'EUR', value: '59.88' },
      paymentDate: '2024-06-05T08:00:00Z',
      paymentItem: [{ item: { id: 'cb-2024-05-000123', '@referredType': 'CustomerBill' }, amount: { unit: 'EUR', value: '59.88' } }]
    }
    assert.deepEqual(errorPaths(PaymentCreateSchema, payment), [])
    const { totalAmount: _total, ...withoutTotal } = payment
    assert.deepEqual(errorPaths(PaymentCreateSchema, { ...withoutTotal, amount: payment.totalAmount }), ['/totalAmount'])
    assert.ok(!check(PaymentCreateSchema, { ...payment, paymentItem: [{ item: { id: 'p-1', '@referredType': 'Product' } }] }))
    const recorded = {
      ...payment,
      id: 'pay-1',
      status: 'done',
      totalAmount: { unit: 'EUR', value: 59.88 },
      paymentItem: [{ item: { id: 'cb-2024-05-000123', '@referredType': 'CustomerBill' }, amount: { unit: 'EUR', value: 59.88 } }]
    }
    assert.deepEqual(errorPaths(PaymentSchema, recorded), [])
  })

  it('describes errors with string code, reason and status', () => {
    assert.ok(check(ErrorSchema, { code: 'NOT_FOUND', reason: 'No CustomerBill with id cb-9', status: '404' }))
    assert.ok(!check(ErrorSchema, { code: 404, reason: 'Not found' }))
    assert.ok(!check(ErrorSchema, { code: 'NOT_FOUND' }))
  })
})

describe('through Fastify with AJV_CUSTOM_OPTIONS', () => {
  async function buildApp (): Promise<{ app: FastifyInstance, received: unknown[] }> {
    const received: unknown[] = []
    const app = Fastify({ ajv: { customOptions: { ...AJV_CUSTOM_OPTIONS } } })
    app.post('/rate', { schema: { body: AppliedCustomerBillingRateCreateSchema } }, async (req, reply) => {
      received.push(req.body)
      return reply.code(201).send({})
    })
    app.patch('/bill', { schema: { body: CustomerBillUpdateSchema } }, async (req) => {
      received.push(req.body)
      return {}
    })
    app.get('/bill/:projection', { schema: { response: { 200: CustomerBillSchema } } }, async (req) => {
      const { projection } = req.params as { projection: string }
      return projection === 'full' ? { ...fullBill, internalAccountRowId: 17 } : { id: fullBill.id, billingAccount: { name: 'Acme GmbH' } }
    })
    app.post('/hub', { schema: { body: EventSubscriptionInputSchema, response: { 201: EventSubscriptionSchema } } }, async (req, reply) => {
      return reply.code(201).send({ id: 'sub-1', ...(req.body as object) })
    })
    await app.ready()
    return { app, received }
  }

  it('keeps a decimal string amount as the client wrote it', async () => {
    const { app, received } = await buildApp()
    const res = await app.inject({ method: 'POST', url: '/rate', payload: rate })
    assert.equal(res.statusCode, 201)
    assert.deepEqual((received[0] as typeof rate).taxExcludedAmount, { unit: 'EUR', value: '39.90' })
    await app.close()
  })

  it('answers 400 naming the attribute for server-owned fields, exponent amounts and bad states', async () => {
    const { app, received } = await buildApp()
    const isBilled = await app.inject({ method: 'POST', url: '/rate', payload: { ...rate, isBilled: true } })
    assert.equal(isBilled.statusCode, 400)
    assert.match(isBilled.json<{ message: string }>().message, /body\/isBilled/)
    const exponent = await app.inject({ method: 'POST', url: '/rate', payload: { ...rate, taxExcludedAmount: { unit: 'EUR', value: '1e5' } } })
    assert.equal(exponent.statusCode, 400)
    assert.match(exponent.json<{ message: string }>().message, /body\/taxExcludedAmount\/value/)
    const state = await app.inject({ method: 'PATCH', url: '/bill', payload: { state: 'bogus' } })
    assert.equal(state.statusCode, 400)
    assert.match(state.json<{ message: string }>().message, /body\/state must be equal to one of the allowed values/)
    const amount = await app.inject({ method: 'PATCH', url: '/bill', payload: { state: 'onHold', amountDue: { unit: 'EUR', value: 0 } } })
    assert.equal(amount.statusCode, 400)
    assert.deepEqual(received, [])
    await app.close()
  })

  it('serializes a full bill without undeclared internals, and a partial projection without failing', async () => {
    const { app } = await buildApp()
    const full = await app.inject({ method: 'GET', url: '/bill/full' })
    assert.equal(full.statusCode, 200)
    assert.deepEqual(full.json(), fullBill)
    const partial = await app.inject({ method: 'GET', url: '/bill/partial' })
    assert.equal(partial.statusCode, 200)
    assert.deepEqual(partial.json(), { id: fullBill.id, billingAccount: { name: 'Acme GmbH' } })
    await app.close()
  })

  it('never writes the subscription secret back', async () => {
    const { app } = await buildApp()
    const res = await app.inject({
      method: 'POST', url: '/hub', payload: { callback: 'https://crm.example.net/listener', secret: 's3cr3t-s3cr3t-s3cr3t' }
    })
    assert.equal(res.statusCode, 201)
    assert.deepEqual(res.json(), { id: 'sub-1', callback: 'https://crm.example.net/listener' })
    await app.close()
  })
})
