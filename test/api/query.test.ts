import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import Fastify from 'fastify'
import { projectFields } from '../../src/api/query/fields.ts'
import { parseListQuery, parseRetrieveQuery } from '../../src/api/query/parse-query.ts'
import type { Filter, RawQuery } from '../../src/api/query/types.ts'
import { describeValue } from '../../src/api/query/values.ts'
import { isDomainError } from '../../src/domain/errors.ts'

/**
 * The parser is exercised through a real Fastify route, so every form is tested in the shape Fastify's
 * querystring parser really hands over (`a>=10` arrives as key `a>` with value `10`, and so on).
 */
const app = Fastify()
app.get('/list', async (req) => parseListQuery(req.query as RawQuery, { maxLimit: 50 }))
app.get('/paged', async (req) => parseListQuery(req.query as RawQuery, { maxLimit: 50, defaultLimit: 20 }))
app.get('/one', async (req) => parseRetrieveQuery(req.query as RawQuery))
app.setErrorHandler((err, _req, reply) => isDomainError(err)
  ? reply.code(400).send({ code: err.code, reason: err.reason, message: err.message })
  : reply.code(500).send({ unexpected: String(err) }))
after(() => app.close())

async function get (url: string): Promise<{ status: number; body: any }> {
  const res = await app.inject(url)
  return { status: res.statusCode, body: res.json() }
}

async function filtersOf (querystring: string): Promise<Filter[]> {
  const { status, body } = await get(`/list?${querystring}`)
  assert.equal(status, 200, `${querystring}: ${JSON.stringify(body)}`)
  return body.filters
}

async function rejection (url: string): Promise<{ code: string; reason: string; message: string }> {
  const { status, body } = await get(url)
  assert.equal(status, 400, `${url} should be rejected, got ${JSON.stringify(body)}`)
  assert.equal(body.code, 'INVALID_QUERY')
  return body
}

const f = (path: string, op: Filter['op'], ...values: string[]): Filter => ({ path: path.split('.'), op, values })

describe('attribute filters: every way of writing an operator', () => {
  const forms: Array<[string, Filter]> = [
    ['state=settled', f('state', 'eq', 'settled')],
    ['state.eq=settled', f('state', 'eq', 'settled')],
    ['state==settled', f('state', 'eq', 'settled')],
    ['state%3D%3Dsettled', f('state', 'eq', 'settled')],
    ['state!=settled', f('state', 'ne', 'settled')],
    ['state!%3Dsettled', f('state', 'ne', 'settled')],
    ['state%21%3Dsettled', f('state', 'ne', 'settled')],
    ['state.ne=settled', f('state', 'ne', 'settled')],
    ['state=!=settled', f('state', 'ne', 'settled')],
    ['amountDue.value>10', f('amountDue.value', 'gt', '10')],
    ['amountDue.value%3E10', f('amountDue.value', 'gt', '10')],
    ['amountDue.value.gt=10', f('amountDue.value', 'gt', '10')],
    ['amountDue.value=%3E10', f('amountDue.value', 'gt', '10')],
    ['amountDue.value>=10', f('amountDue.value', 'gte', '10')],
    ['amountDue.value%3E%3D10', f('amountDue.value', 'gte', '10')],
    ['amountDue.value%3E=10', f('amountDue.value', 'gte', '10')],
    ['amountDue.value.gte=10', f('amountDue.value', 'gte', '10')],
    ['amountDue.value=%3E%3D10', f('amountDue.value', 'gte', '10')],
    ['amountDue.value<10', f('amountDue.value', 'lt', '10')],
    ['amountDue.value%3C10', f('amountDue.value', 'lt', '10')],
    ['amountDue.value.lt=10', f('amountDue.value', 'lt', '10')],
    ['amountDue.value=<10', f('amountDue.value', 'lt', '10')],
    ['amountDue.value<=10', f('amountDue.value', 'lte', '10')],
    ['amountDue.value%3C%3D10', f('amountDue.value', 'lte', '10')],
    ['amountDue.value.lte=10', f('amountDue.value', 'lte', '10')],
    ['billNo=~%5EB-00', f('billNo', 'regex', '^B-00')],
    ['billNo%3D~%5EB-00', f('billNo', 'regex', '^B-00')],
    ['billNo*=%5EB-00', f('billNo', 'regex', '^B-00')],
    ['billNo*%3D%5EB-00', f('billNo', 'regex', '^B-00')],
    ['billNo.regex=%5EB-00', f('billNo', 'regex', '^B-00')],
    ['billDate.gte=2024-01-01T00:00:00%2B01:00', f('billDate', 'gte', '2024-01-01T00:00:00+01:00')],
    ['@type=CustomerBill', f('@type', 'eq', 'CustomerBill')],
    ['billingAccount.%40referredType=BillingAccount', f('billingAccount.@referredType', 'eq', 'BillingAccount')],
    ['billingAccount.name=Acme+Ltd', f('billingAccount.name', 'eq', 'Acme Ltd')],
    ['note.text=a%3Db', f('note.text', 'eq', 'a=b')]
  ]
  for (const [querystring, expected] of forms) {
    test(`?${querystring}`, async () => {
      assert.deepEqual(await filtersOf(querystring), [expected])
    })
  }
})

describe('OR within an attribute, AND across attributes', () => {
  test('comma list, repeated key, semicolon list and a mix of equality forms are alternatives', async () => {
    const either = [f('state', 'eq', 'new', 'onHold')]
    assert.deepEqual(await filtersOf('state=new,onHold'), either)
    assert.deepEqual(await filtersOf('state=new&state=onHold'), either)
    assert.deepEqual(await filtersOf('state=new;state=onHold'), either)
    assert.deepEqual(await filtersOf('state=new;onHold'), either)
    assert.deepEqual(await filtersOf('state=new&state.eq=onHold'), either)
    assert.deepEqual(await filtersOf('state=new,sent&state=onHold'), [f('state', 'eq', 'new', 'sent', 'onHold')])
  })

  test('ne with several values excludes them all', async () => {
    assert.deepEqual(await filtersOf('state!=new,settled'), [f('state', 'ne', 'new', 'settled')])
    assert.deepEqual(await filtersOf('state.ne=new&state.ne=settled'), [f('state', 'ne', 'new', 'settled')])
  })

  test('different attributes, and a range on one attribute, are separate AND-ed filters', async () => {
    assert.deepEqual(await filtersOf('state=new&billingAccount.id=BA-1'), [f('state', 'eq', 'new'), f('billingAccount.id', 'eq', 'BA-1')])
    assert.deepEqual(await filtersOf('amountDue.value>=10&amountDue.value<100'),
      [f('amountDue.value', 'gte', '10'), f('amountDue.value', 'lt', '100')])
    assert.deepEqual(await filtersOf('billDate.gt=2024-01-01&billDate.gt=2024-02-01'),
      [f('billDate', 'gt', '2024-01-01'), f('billDate', 'gt', '2024-02-01')])
  })

  test('commas and semicolons inside a regular expression or a comparison value are kept', async () => {
    assert.deepEqual(await filtersOf('billNo.regex=%5EB-0%7B2%2C3%7D1%24'), [f('billNo', 'regex', '^B-0{2,3}1$')])
    assert.deepEqual(await filtersOf('name.gt=a,b;c'), [f('name', 'gt', 'a,b;c')])
  })
})

describe('fields, sort, offset and limit', () => {
  test('a query without parameters: no filter, no sort, offset 0, no limit, full representation', async () => {
    const { body } = await get('/list')
    assert.deepEqual(body, { filters: [], sort: [], offset: 0 })
  })

  test('fields lists first-level or dotted attributes; repeated fields add up; none selects nothing', async () => {
    assert.deepEqual((await get('/list?fields=state,billDate')).body.fields, ['state', 'billDate'])
    assert.deepEqual((await get('/list?fields=state&fields=billingAccount.id,state')).body.fields, ['state', 'billingAccount.id'])
    assert.deepEqual((await get('/list?fields=none')).body.fields, [])
    assert.deepEqual((await get('/list?fields=id')).body.fields, ['id'])
  })

  test('sort: - descending, + (even unencoded, arriving as a space) ascending, comma list, dot paths', async () => {
    assert.deepEqual((await get('/list?sort=-billDate,billNo')).body.sort,
      [{ path: ['billDate'], direction: 'desc' }, { path: ['billNo'], direction: 'asc' }])
    assert.deepEqual((await get('/list?sort=+billingAccount.name')).body.sort, [{ path: ['billingAccount', 'name'], direction: 'asc' }])
    assert.deepEqual((await get('/list?sort=%2BbillNo&sort=-state')).body.sort,
      [{ path: ['billNo'], direction: 'asc' }, { path: ['state'], direction: 'desc' }])
  })

  test('offset and limit are read; limit=0 asks for the count only; a limit above the maximum is clamped', async () => {
    assert.deepEqual((await get('/list?offset=20&limit=10')).body, { filters: [], sort: [], offset: 20, limit: 10 })
    assert.equal((await get('/list?limit=0')).body.limit, 0)
    assert.equal((await get('/list?limit=5000')).body.limit, 50)
    assert.equal((await get('/paged')).body.limit, 20)
    assert.equal((await get('/paged?limit=7')).body.limit, 7)
  })

  test('reserved names are never filters', async () => {
    const { body } = await get('/list?fields=state&sort=state&offset=1&limit=2&state=new')
    assert.deepEqual(body.filters, [f('state', 'eq', 'new')])
  })
})

describe('bad queries are INVALID_QUERY errors naming the parameter', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['/list?offset=-1', 'offset', /non-negative integer/],
    ['/list?offset=1.5', 'offset', /non-negative integer/],
    ['/list?offset=ten', 'offset', /non-negative integer/],
    ['/list?offset=99999999999999999999', 'offset', /non-negative integer/],
    ['/list?limit=abc', 'limit', /non-negative integer/],
    ['/list?limit=%2B5', 'limit', /non-negative integer/],
    ['/list?limit=1&limit=2', 'limit', /more than once/],
    ['/list?state~=new', 'state~', /not an operator/],
    ['/list?=new', '', /empty/],
    ['/list?.state=new', '.state', /not a valid attribute name/],
    ['/list?a..b=1', 'a..b', /not a valid attribute name/],
    ['/list?1state=new', '1state', /not a valid attribute name/],
    ['/list?sta%20te=new', 'sta te', /not an operator|not a valid/],
    ['/list?state=', 'state', /has no value/],
    ['/list?state', 'state', /has no value/],
    ['/list?amountDue.value>=', 'amountDue.value>', /has no value/],
    ['/list?state=new,,sent', 'state', /empty value/],
    ['/list?state.gt>5', 'state.gt>5', /two operators/],
    ['/list?billNo.regex=(unclosed', 'billNo.regex', /not a valid regular expression/],
    ['/list?billNo=~%5B', 'billNo', /not a valid regular expression/],
    [`/list?billNo.regex=${'a'.repeat(300)}`, 'billNo.regex', /longer than/],
    [`/list?id=${Array.from({ length: 101 }, (_, i) => `CB-${i}`).join(',')}`, 'id', /At most 100/],
    ['/list?depth=2', 'depth', /not supported/],
    ['/list?expand=billingAccount', 'expand', /not supported/],
    ['/list?filter=state%3D%3Dnew', 'filter', /not supported/],
    ['/list?limit>5', 'limit', /plain value/],
    ['/list?sort.gt=1', 'sort', /plain value/],
    ['/list?sort=', 'sort', /names no attribute/],
    ['/list?sort=-', 'sort', /names no attribute/],
    ['/list?sort=bill-date', 'sort', /not a valid attribute name/],
    ['/list?fields=', 'fields', /empty/],
    ['/list?fields=state;billDate', 'fields', /not a valid attribute name/]
  ]
  for (const [url, parameter, detail] of cases) {
    test(url.length > 80 ? `${url.slice(0, 80)}…` : url, async () => {
      const error = await rejection(url)
      assert.equal(error.reason, `Invalid query parameter '${parameter}'`)
      assert.match(error.message, detail)
    })
  }
})

describe('retrieve (GET by id) accepts only fields', () => {
  test('fields is read as for lists', async () => {
    assert.deepEqual((await get('/one?fields=state,billDate')).body, { fields: ['state', 'billDate'] })
    assert.deepEqual((await get('/one')).body, {})
  })

  test('anything else is rejected rather than silently ignored', async () => {
    assert.match((await rejection('/one?state=new')).message, /Only 'fields'/)
    assert.match((await rejection('/one?limit=1')).message, /Only 'fields'/)
    assert.match((await rejection('/one?depth=1')).message, /not supported/)
  })
})

describe('projectFields', () => {
  const bill = {
    id: 'CB-1',
    href: 'http://h/customerBill/CB-1',
    '@type': 'CustomerBill',
    state: 'new',
    isBilled: true,
    amountDue: { unit: 'EUR', value: 10 },
    billingAccount: { id: 'BA-1', name: 'Acme', '@referredType': 'BillingAccount' },
    relatedParty: [{ id: 'P-1', role: 'customer', name: 'Ada' }, { id: 'P-2', role: 'payer' }, 'P-3']
  }

  test('no fields: the complete representation', () => {
    assert.deepEqual(projectFields(bill, undefined), bill)
  })

  test('id and href are always there; fields=none gives only them', () => {
    assert.deepEqual(projectFields(bill, []), { id: 'CB-1', href: 'http://h/customerBill/CB-1' })
    assert.deepEqual(projectFields(bill, ['id']), { id: 'CB-1', href: 'http://h/customerBill/CB-1' })
  })

  test('first-level attributes, in the resource order; unknown names are ignored', () => {
    assert.deepEqual(projectFields(bill, ['isBilled', 'state', 'noSuchThing']),
      { id: 'CB-1', href: 'http://h/customerBill/CB-1', state: 'new', isBilled: true })
    assert.deepEqual(Object.keys(projectFields(bill, ['amountDue', '@type'])), ['id', 'href', '@type', 'amountDue'])
  })

  test('dot paths select inside objects and inside each array element', () => {
    assert.deepEqual(projectFields(bill, ['billingAccount.id', 'relatedParty.role']), {
      id: 'CB-1',
      href: 'http://h/customerBill/CB-1',
      billingAccount: { id: 'BA-1' },
      relatedParty: [{ role: 'customer' }, { role: 'payer' }]
    })
    assert.deepEqual(projectFields(bill, ['billingAccount', 'billingAccount.id']).billingAccount, bill.billingAccount)
    assert.deepEqual(projectFields(bill, ['state.length']), { id: 'CB-1', href: 'http://h/customerBill/CB-1' })
  })
})

describe('value typing', () => {
  test('numbers are JSON number literals only', () => {
    assert.equal(describeValue('10').number, '10')
    assert.equal(describeValue('-2.5e3').number, '-2.5e3')
    for (const text of ['007', '+1', '1.', '.5', '0x10', 'NaN', 'Infinity', '1e999', '']) {
      assert.equal(describeValue(text).number, undefined, text)
    }
  })

  test('true and false are booleans, other spellings are text', () => {
    assert.equal(describeValue('true').bool, true)
    assert.equal(describeValue('false').bool, false)
    assert.equal(describeValue('TRUE').bool, undefined)
  })

  test('a real calendar date is a whole day', () => {
    assert.deepEqual(describeValue('2024-02-28').day, { first: '2024-02-28', next: '2024-02-29' })
    assert.deepEqual(describeValue('2023-12-31').day, { first: '2023-12-31', next: '2024-01-01' })
    assert.equal(describeValue('2023-02-29').day, undefined)
    assert.equal(describeValue('2024-13-01').day, undefined)
  })

  test('date-times are normalised to UTC milliseconds; no zone means UTC; a space stands for an unencoded +', () => {
    assert.equal(describeValue('2024-01-05T10:00:00+02:00').instant, '2024-01-05T08:00:00.000Z')
    assert.equal(describeValue('2024-01-05T10:00:00 02:00').instant, '2024-01-05T08:00:00.000Z')
    assert.equal(describeValue('2024-01-05T10:00Z').instant, '2024-01-05T10:00:00.000Z')
    assert.equal(describeValue('2024-01-05T10:00:00.123456Z').instant, '2024-01-05T10:00:00.123Z')
    assert.equal(describeValue('2024-01-05T10:00:00').instant, '2024-01-05T10:00:00.000Z')
    assert.equal(describeValue('2024-01-05T24:00:00Z').instant, undefined)
    assert.equal(describeValue('2024-02-30T10:00:00Z').instant, undefined)
  })
})
