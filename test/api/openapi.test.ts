/**
 * The OpenAPI document a client generates code from: OpenAPI 3, every operation of the TMF678 v4 specification
 * under its own operationId, tmfbill's additions marked `x-tmfbill-extension`; the Swagger UI page that shows
 * it; and the health check.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { storeKinds } from '../helpers/stores.ts'

type Json = any

const API_PATH = '/tmf-api/customerBillManagement/v4'

// The operations of TMF678-CustomerBill-v4.0.0.swagger.json, with the status each answers on success.
const SPEC_OPERATIONS: Array<[method: string, path: string, operationId: string, success: string]> = [
  ['get', '/customerBill', 'listCustomerBill', '200'],
  ['get', '/customerBill/{id}', 'retrieveCustomerBill', '200'],
  ['patch', '/customerBill/{id}', 'patchCustomerBill', '200'],
  ['get', '/customerBillOnDemand', 'listCustomerBillOnDemand', '200'],
  ['post', '/customerBillOnDemand', 'createCustomerBillOnDemand', '201'],
  ['get', '/customerBillOnDemand/{id}', 'retrieveCustomerBillOnDemand', '200'],
  ['get', '/appliedCustomerBillingRate', 'listAppliedCustomerBillingRate', '200'],
  ['get', '/appliedCustomerBillingRate/{id}', 'retrieveAppliedCustomerBillingRate', '200'],
  ['post', '/hub', 'registerListener', '201'],
  ['delete', '/hub/{id}', 'unregisterListener', '204']
]

interface Operation { method: string; path: string; op: Json }

function operationsOf (doc: Json): Operation[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item).filter(([method]) => ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'].includes(method))
      .map(([method, op]) => ({ method, path, op })))
}

/** The JSON schema of a response or request body, whether inline or a component reference. */
function schemaAt (doc: Json, holder: Json): Json {
  const schema = holder?.content?.['application/json']?.schema
  if (schema?.$ref === undefined) return schema
  return doc.components.schemas[String(schema.$ref).split('/').pop() ?? '']
}

for (const kind of await storeKinds()) {
  describe(`OpenAPI document, Swagger UI and health (${kind})`, () => {
    let server: TestServer
    let doc: Json

    before(async () => {
      server = await startTestServer(kind, { jobs: false })
      const res = await fetch(`${server.api}/openapi.json`)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      doc = await res.json()
    })
    after(async () => { await server.close() })

    it('is an OpenAPI 3 document whose server is the public URL', () => {
      assert.match(doc.openapi, /^3\.\d+\.\d+$/)
      assert.equal(typeof doc.info.title, 'string')
      assert.equal(doc.info.version, '4.0.0')
      assert.match(doc.info.description, /x-tmfbill-extension/)
      assert.deepEqual(doc.servers, [{ url: server.url }])
    })

    it('documents the TMF630 query parameters: fields on every GET, paging and sort on lists', () => {
      for (const [method, path] of SPEC_OPERATIONS.filter(([m]) => m === 'get')) {
        const names = (doc.paths[API_PATH + path].get.parameters ?? []).filter((p: Json) => p.in === 'query').map((p: Json) => p.name)
        const expected = path.includes('{') ? ['fields'] : ['fields', 'offset', 'limit', 'sort']
        assert.deepEqual(names, expected, `${method.toUpperCase()} ${path}`)
      }
      assert.match(doc.paths[API_PATH + '/customerBill'].get.description, /X-Total-Count/)
    })

    it('has every TMF678 v4 operation under its spec operationId, not marked as an extension', () => {
      for (const [method, path, operationId, success] of SPEC_OPERATIONS) {
        const op = doc.paths[`${API_PATH}${path}`]?.[method]
        assert.ok(op, `${method.toUpperCase()} ${path} is documented`)
        assert.equal(op.operationId, operationId)
        assert.equal(op['x-tmfbill-extension'], undefined, `${operationId} is TMF678 itself`)
        assert.ok(op.responses[success], `${operationId} documents its ${success}`)
        if (success !== '204') assert.ok(op.responses['400'] || op.responses['404'], `${operationId} documents its errors`)
      }
    })

    it('marks every other operation as a tmfbill extension', () => {
      const spec = new Set(SPEC_OPERATIONS.map(([, , id]) => id))
      const others = operationsOf(doc).filter(({ op }) => !spec.has(op.operationId))
      assert.ok(others.length > 0)
      for (const { method, path, op } of others) {
        assert.equal(op['x-tmfbill-extension'], true, `${method.toUpperCase()} ${path} (${String(op.operationId)}) is marked`)
      }
      const ids = new Set(others.map(({ op }) => op.operationId))
      for (const id of ['createAppliedCustomerBillingRate', 'downloadCustomerBillDocument', 'createPayment']) assert.ok(ids.has(id), id)
    })

    it('gives every operation a unique operationId and documents no 405 catch-all', () => {
      const operations = operationsOf(doc)
      const ids = operations.map(({ op }) => op.operationId)
      assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0))
      assert.equal(new Set(ids).size, ids.length)
      for (const { method, path } of operations) {
        assert.ok(['get', 'post', 'patch', 'delete'].includes(method), `${method} ${path} should not be documented`)
      }
      assert.equal(doc.paths[`${API_PATH}/openapi.json`], undefined)
      assert.equal(doc.paths['/health'], undefined)
    })

    it('describes the resources with their TMF attributes', () => {
      const bill = schemaAt(doc, doc.paths[`${API_PATH}/customerBill/{id}`].get.responses['200'])
      for (const attribute of ['id', 'href', 'billDocument', 'billingAccount', 'state', 'amountDue', 'taxItem', '@type']) {
        assert.ok(bill.properties[attribute], `CustomerBill.${attribute}`)
      }
      const patch = schemaAt(doc, doc.paths[`${API_PATH}/customerBill/{id}`].patch.requestBody)
      assert.ok(patch.properties.state.enum.includes('onHold'))
      assert.equal(patch.properties.amountDue, undefined, 'amountDue is not patchable')
      const onDemand = schemaAt(doc, doc.paths[`${API_PATH}/customerBillOnDemand`].post.requestBody)
      assert.ok(onDemand.properties.billingAccount && onDemand.properties.relatedParty)
      const ingest = doc.paths[`${API_PATH}/appliedCustomerBillingRate`].post.requestBody.content
      assert.deepEqual(Object.keys(ingest).sort(), ['application/json', 'application/x-ndjson'])
      assert.deepEqual([...ingest['application/json'].schema.required].sort(), ['billingAccount', 'date', 'taxExcludedAmount'])
      const error = schemaAt(doc, doc.paths[`${API_PATH}/customerBill/{id}`].get.responses['404'])
      assert.deepEqual([...error.required].sort(), ['code', 'reason'])
    })

    it('serves the same document to Swagger UI', async () => {
      const fromUi = await (await fetch(`${server.url}/docs/json`)).json()
      assert.deepEqual(fromUi, doc)
    })

    it('serves the Swagger UI page at /docs with its assets', async () => {
      const page = await fetch(`${server.url}/docs`)
      assert.equal(page.status, 200)
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
      const html = await page.text()
      assert.match(html, /<title>Swagger UI<\/title>/)
      assert.match(html, /swagger-ui-bundle\.js/)
      for (const asset of ['swagger-ui-bundle.js', 'swagger-initializer.js', 'swagger-ui.css']) {
        const res = await fetch(`${server.url}/docs/static/${asset}`)
        assert.equal(res.status, 200, asset)
        assert.ok((await res.arrayBuffer()).byteLength > 100, asset)
      }
    })

    it('answers GET /health with 200 and a JSON status', async () => {
      const res = await fetch(`${server.url}/health`)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      assert.deepEqual(await res.json(), { status: 'ok' })
    })
  })
}
