import assert from 'node:assert/strict'
import { parse } from 'node:querystring'
import { describe, test } from 'node:test'
import { parseFilterQuery } from '../../src/api/query/parse-query.ts'
import { DomainError, ErrorCodes } from '../../src/domain/errors.ts'
import { matchesFilters, parseSubscriptionQuery } from '../../src/events/event-filter.ts'
import { BILLS, FILTER_CASES } from '../store/query-fixtures.ts'

function eventFor (bill: Record<string, unknown>, eventType: string): Record<string, unknown> {
  return {
    eventId: `E-${String(bill.id)}`,
    eventTime: '2024-03-01T12:00:00.000Z',
    eventType,
    event: { customerBill: bill }
  }
}

const settled = { id: 'CB-1', state: 'settled', amountDue: { unit: 'EUR', value: 120.5 }, relatedParty: [{ id: 'P-1', role: 'customer' }] }
const fresh = { id: 'CB-2', state: 'new', amountDue: { unit: 'EUR', value: 9.99 }, relatedParty: [{ id: 'P-2', role: 'payer' }] }
const events = [
  eventFor(settled, 'CustomerBillStateChangeEvent'),
  eventFor(fresh, 'CustomerBillCreateEvent'),
  eventFor(fresh, 'CustomerBillStateChangeEvent')
]

function deliveredTo (query: string | null | undefined): string[] {
  const filters = parseSubscriptionQuery(query)
  return events.filter((e) => matchesFilters(e, filters)).map((e) => `${String(e.eventType)}:${String(e.eventId)}`)
}

describe('hub subscription queries', () => {
  test('no query, an empty one, or only whitespace: every event', () => {
    assert.equal(deliveredTo(undefined).length, 3)
    assert.equal(deliveredTo(null).length, 3)
    assert.equal(deliveredTo('').length, 3)
    assert.equal(deliveredTo('  ').length, 3)
  })

  test('eventType selects the events of that type', () => {
    assert.deepEqual(deliveredTo('eventType=CustomerBillCreateEvent'), ['CustomerBillCreateEvent:E-CB-2'])
    assert.deepEqual(deliveredTo('eventType=CustomerBillCreateEvent,CustomerBillStateChangeEvent').length, 3)
  })

  test('conditions on the resource inside the event, AND-combined', () => {
    assert.deepEqual(deliveredTo('eventType=CustomerBillStateChangeEvent&event.customerBill.state=settled'),
      ['CustomerBillStateChangeEvent:E-CB-1'])
    assert.deepEqual(deliveredTo('event.customerBill.amountDue.value>=100'), ['CustomerBillStateChangeEvent:E-CB-1'])
    assert.deepEqual(deliveredTo('event.customerBill.relatedParty.role=payer&eventType!=CustomerBillCreateEvent'),
      ['CustomerBillStateChangeEvent:E-CB-2'])
    assert.deepEqual(deliveredTo('eventTime=2024-03-01').length, 3)
  })

  test('hand-written forms: a leading ?, spaces around = and &, percent-encoding', () => {
    assert.deepEqual(deliveredTo('?eventType=CustomerBillCreateEvent'), ['CustomerBillCreateEvent:E-CB-2'])
    assert.deepEqual(deliveredTo('eventType = CustomerBillCreateEvent'), ['CustomerBillCreateEvent:E-CB-2'])
    assert.deepEqual(deliveredTo('event.customerBill.amountDue.value%3E100'), ['CustomerBillStateChangeEvent:E-CB-1'])
  })

  test('parsed into the same filters as a list query', () => {
    assert.deepEqual(parseSubscriptionQuery('eventType=A,B&event.customerBill.amountDue.value.gt=5'), [
      { path: ['eventType'], op: 'eq', values: ['A', 'B'] },
      { path: ['event', 'customerBill', 'amountDue', 'value'], op: 'gt', values: ['5'] }
    ])
  })

  test('a malformed query is INVALID_QUERY, as are paging and selection parameters', () => {
    for (const query of ['eventType~=X', 'event..state=x', 'state.regex=(', 'limit=5', 'fields=state', 'depth=1', 'eventType']) {
      assert.throws(() => parseSubscriptionQuery(query), (err: unknown) => {
        assert.ok(err instanceof DomainError, query)
        assert.equal(err.code, ErrorCodes.INVALID_QUERY)
        return true
      })
    }
  })
})

describe('matchesFilters agrees with the SQL compiler', () => {
  // The very cases the store tests run on SQLite and PostgreSQL, evaluated here on the JSON bodies.
  for (const [querystring, expected] of FILTER_CASES) {
    test(`?${querystring} selects ${expected.join(', ') || 'nothing'}`, () => {
      const filters = parseFilterQuery(parse(querystring))
      const selected = BILLS.filter((bill) => matchesFilters(bill, filters)).map((bill) => bill.id)
      assert.deepEqual(selected, expected)
    })
  }
})

describe('matchesFilters on odd documents', () => {
  const f = (query: string) => parseSubscriptionQuery(query)

  test('arrays at any depth match when any element matches', () => {
    const doc = { items: [{ tags: ['a', 'b'] }, { tags: ['c'] }] }
    assert.equal(matchesFilters(doc, f('items.tags=c')), true)
    assert.equal(matchesFilters(doc, f('items.tags=z')), false)
    assert.equal(matchesFilters(doc, f('items.tags!=z')), true)
    assert.equal(matchesFilters(doc, f('items.tags!=a')), false)
  })

  test('values of the wrong type never match and never throw', () => {
    for (const doc of [null, 42, 'text', [], { a: null }, { a: { b: 1 } }, { a: [null, {}, true, [[]]] }]) {
      assert.equal(matchesFilters(doc, f('a.gt=0&a.regex=x')), false)
      assert.equal(matchesFilters(doc, f('a!=zzz')), true)
    }
  })

  test('inherited object properties are not attributes', () => {
    assert.equal(matchesFilters({}, f('constructor.name=Object')), false)
    assert.equal(matchesFilters({ a: {} }, f('a.toString.regex=.')), false)
  })

  test('text compares bytewise, like the stores', () => {
    assert.equal(matchesFilters({ name: 'Zed' }, f('name.lt=a')), true)
    assert.equal(matchesFilters({ name: 'é' }, f('name.gt=z')), true)
  })
})
