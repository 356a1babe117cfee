import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'

/**
 * The baseline of the HTTP benchmarks: the Fastify that tmfbill uses, in its own process, answering one
 * static JSON body (the size of a real GET customerBill/{id} response) with no logger, no validation and no
 * store behind it. Whatever tmfbill adds on top of the HTTP stack shows as the gap to this.
 */
const { values } = parseArgs({ options: { port: { type: 'string' }, 'body-file': { type: 'string' } } })
if (values.port === undefined || values['body-file'] === undefined) {
  console.error('usage: baseline-server.ts --port <port> --body-file <file>')
  process.exit(2)
}
const body = readFileSync(values['body-file'], 'utf8')
const app = Fastify({ logger: false })
app.get('/health', async () => ({ status: 'ok' }))
app.get('/static', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body))
await app.listen({ port: Number(values.port), host: '127.0.0.1' })
const stop = () => { void app.close().then(() => process.exit(0)) }
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
