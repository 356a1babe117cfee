import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { registerContentTypes } from '../../src/api/content-types.ts'
import { registerErrorHandlers } from '../../src/api/errors.ts'
import { hubRoutes } from '../../src/api/routes/hub.ts'
import type { AppDeps } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { FakeClock } from '../../src/domain/clock.ts'
import { API_PATH } from '../../src/domain/resources.ts'
import { DEFAULT_TAX_CONFIG } from '../../src/domain/tax.ts'
import type { EventDispatcher } from '../../src/events/dispatcher.ts'
import { openTestStore, storeKinds } from '../helpers/stores.ts'
import { type Listener, startListener } from './listener.ts'
import { bill, commitEvent, dispatch } from './support.ts'

const PUBLIC_URL = 'http://billing.test'
const HUB = `${API_PATH}/hub`

/** Just the hub routes, with the application's error handling, as buildApp mounts them. */
async function hubApp (deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } } })
  app.decorate('deps', deps)
  registerErrorHandlers(app)
  registerContentTypes(app)
  await app.register(hubRoutes, { prefix: API_PATH })
  return app
}

for (const kind of await storeKinds()) {
  describe(`hub API (${kind})`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>
    let clock: FakeClock
    let app: FastifyInstance
    let strictApp: FastifyInstance
    let listener: Listener
    let dispatcher: EventDispatcher | undefined

    beforeEach(async () => {
      store = await openTestStore(kind)
      clock = new FakeClock('2025-03-01T00:00:00Z')
      const env = { LOG_LEVEL: 'silent', PUBLIC_URL }
      app = await hubApp({ config: loadConfig({ ...env, ALLOW_PRIVATE_CALLBACKS: 'true' }), store, clock, taxConfig: DEFAULT_TAX_CONFIG })
      strictApp = await hubApp({ config: loadConfig({ ...env, ALLOW_PRIVATE_CALLBACKS: 'false' }), store, clock, taxConfig: DEFAULT_TAX_CONFIG })
      listener = await startListener()
      dispatcher = undefined
    })
    afterEach(async () => {
      await dispatcher?.stop()
      await listener.close()
      await app.close()
      await strictApp.close()
      await store.dispose()
    })

    it('registers a listener: 201, Location, the subscription without its secret', async () => {
      const res = await app.inject({ method: 'POST', url: HUB, payload: {
        callback: `${listener.url}/events`, query: 'eventType=CustomerBillCreateEvent', secret: 'a-secret-of-some-length'
      } })
      assert.equal(res.statusCode, 201)
      const body = res.json()
      assert.deepEqual(Object.keys(body).sort(), ['@type', 'callback', 'href', 'id', 'query'])
      assert.equal(body.callback, `${listener.url}/events`)
      assert.equal(body.query, 'eventType=CustomerBillCreateEvent')
      assert.equal(body['@type'], 'EventSubscription')
      assert.equal(res.headers.location, `${PUBLIC_URL}${HUB}/${String(body.id)}`)
      assert.equal(body.href, res.headers.location)
      assert.doesNotMatch(res.body, /a-secret-of-some-length/)

      const one = await app.inject({ method: 'GET', url: `${HUB}/${String(body.id)}` })
      assert.equal(one.statusCode, 200)
      assert.deepEqual(one.json(), body)
      const all = await app.inject({ method: 'GET', url: HUB })
      assert.deepEqual(all.json(), [body])
      assert.doesNotMatch(all.body + one.body, /secret/)
    })

    it('leaves query out of a subscription registered without one', async () => {
      const res = await app.inject({ method: 'POST', url: HUB, payload: { callback: listener.url } })
      assert.equal(res.statusCode, 201)
      assert.equal('query' in res.json(), false)
    })

    it('refuses callbacks to private, loopback or non-http addresses with 400 unless allowed', async () => {
      for (const callback of ['http://10.0.0.1/hook', 'http://127.0.0.1:8080/hook', 'http://[::1]/hook', 'http://localhost/hook',
        'http://169.254.169.254/latest', 'http://[fd00::1]/hook', 'http://[::ffff:192.168.1.1]/x', 'ftp://198.51.100.7/hook']) {
        const res = await strictApp.inject({ method: 'POST', url: HUB, payload: { callback } })
        assert.equal(res.statusCode, 400, callback)
        assert.equal(res.json().code, 'INVALID_CALLBACK', callback)
        assert.equal(res.json()['@type'], 'Error')
      }
      const ftp = await app.inject({ method: 'POST', url: HUB, payload: { callback: 'ftp://files.example.com/in' } })
      assert.equal(ftp.statusCode, 400, 'a non-http scheme is refused even where private callbacks are allowed')
      assert.equal(ftp.json().code, 'INVALID_CALLBACK')
      assert.equal((await app.inject({ method: 'POST', url: HUB, payload: { callback: 'http://127.0.0.1:8080/hook' } })).statusCode, 201)
      assert.deepEqual((await strictApp.inject({ method: 'GET', url: HUB })).json().map((s: { callback: string }) => s.callback),
        ['http://127.0.0.1:8080/hook'])
    })

    it('refuses a body without callback, an unknown property, a short secret and an unparsable query with 400', async () => {
      const cases = [{}, { callback: listener.url, secrte: 'misspelt-secret-value' }, { callback: listener.url, secret: 'short' },
        { callback: 'not a url' }, { callback: listener.url, query: 'event..state=settled' }]
      for (const payload of cases) {
        const res = await app.inject({ method: 'POST', url: HUB, payload })
        assert.equal(res.statusCode, 400, JSON.stringify(payload))
        assert.equal(res.json()['@type'], 'Error')
      }
      const badQuery = await app.inject({ method: 'POST', url: HUB, payload: { callback: listener.url, query: 'amountDue.value>=' } })
      assert.equal(badQuery.statusCode, 400)
      assert.equal(badQuery.json().code, 'INVALID_QUERY')
      assert.deepEqual((await app.inject({ method: 'GET', url: HUB })).json(), [], 'nothing was registered')
    })

    it('unregisters: 204, then 404 for it and for any unknown id', async () => {
      const id = (await app.inject({ method: 'POST', url: HUB, payload: { callback: listener.url } })).json().id as string
      const del = await app.inject({ method: 'DELETE', url: `${HUB}/${id}` })
      assert.equal(del.statusCode, 204)
      assert.equal(del.body, '')
      for (const res of [await app.inject({ method: 'DELETE', url: `${HUB}/${id}` }), await app.inject({ method: 'GET', url: `${HUB}/${id}` }),
        await app.inject({ method: 'DELETE', url: `${HUB}/no-such-id` })]) {
        assert.equal(res.statusCode, 404)
        assert.equal(res.json().code, 'NOT_FOUND')
      }
    })

    it('answers 405 with Allow for the methods the hub paths do not support', async () => {
      const id = (await app.inject({ method: 'POST', url: HUB, payload: { callback: listener.url } })).json().id as string
      for (const [method, url, allow] of [['PUT', HUB, 'GET, POST'], ['DELETE', HUB, 'GET, POST'], ['PATCH', `${HUB}/${id}`, 'GET, DELETE'],
        ['POST', `${HUB}/${id}`, 'GET, DELETE'], ['DELETE', `${HUB}/${id}/delivery`, 'GET'], ['GET', `${HUB}/${id}/delivery/retry`, 'POST']] as const) {
        const res = await app.inject({ method, url })
        assert.equal(res.statusCode, 405, `${method} ${url}`)
        assert.equal(res.headers.allow, allow)
        assert.equal(res.json().code, 'METHOD_NOT_ALLOWED')
      }
    })

    it('lets an operator list a listener\'s dead deliveries and retry them', async () => {
      listener.respond = () => 500
      const id = (await app.inject({ method: 'POST', url: HUB, payload: { callback: listener.url } })).json().id as string
      const event = await commitEvent(store, 'CustomerBillCreateEvent', bill('b-1', 'new'))
      dispatcher = dispatch(store, clock, { maxAttempts: 1 })
      await listener.waitFor(1)
      await dispatcher.drain()

      const list = await app.inject({ method: 'GET', url: `${HUB}/${id}/delivery?status=dead` })
      assert.equal(list.statusCode, 200)
      assert.equal(list.headers['x-total-count'], '1')
      const [dead] = list.json()
      assert.equal(dead.eventId, event.eventId)
      assert.equal(dead.eventType, 'CustomerBillCreateEvent')
      assert.equal(dead.status, 'dead')
      assert.equal(dead.attempts, 1)
      assert.equal(dead.lastStatus, 500)
      assert.equal(dead.href, `${PUBLIC_URL}${HUB}/${id}/delivery/${String(dead.id)}`)
      assert.equal('nextAttemptAt' in dead, false)
      assert.deepEqual((await app.inject({ method: 'GET', url: `${HUB}/${id}/delivery?status=delivered` })).json(), [])
      assert.equal((await app.inject({ method: 'GET', url: `${HUB}/${id}/delivery?status=lost` })).statusCode, 400)
      assert.equal((await app.inject({ method: 'GET', url: `${HUB}/no-such-id/delivery` })).statusCode, 404)

      listener.respond = () => 204
      const retried = await app.inject({ method: 'POST', url: `${HUB}/${id}/delivery/retry` })
      assert.equal(retried.statusCode, 200)
      assert.deepEqual(retried.json(), { retried: 1 })
      dispatcher.wake()
      await listener.waitFor(2)
      await dispatcher.drain()
      const after = (await app.inject({ method: 'GET', url: `${HUB}/${id}/delivery/${String(dead.id)}` })).json()
      assert.equal(after.status, 'delivered')
      assert.equal(after.lastStatus, 204)

      const again = await app.inject({ method: 'POST', url: `${HUB}/${id}/delivery/${String(dead.id)}/retry` })
      assert.equal(again.statusCode, 409, 'a delivered event is not sent again')
      assert.equal(again.json().code, 'CONFLICT')
    })
  })
}
