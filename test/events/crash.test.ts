import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { listDeliveries } from '../../src/events/operations.ts'
import { openStore } from '../../src/store/database.ts'
import { freePort } from '../helpers/server.ts'
import { dropSchemaOf, freshDatabaseUrl, storeKinds } from '../helpers/stores.ts'
import { startListener } from './listener.ts'
import { bill, commitEvent } from './support.ts'

const ROOT = new URL('../../', import.meta.url).pathname

/** `tmfbill serve` as a separate process, as an operator runs it. */
function startServerProcess (env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit']
  })
}

async function waitUntilHealthy (url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`server at ${url} did not start`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function exited (child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
}

for (const kind of await storeKinds()) {
  describe(`crash safety of a real server process (${kind})`, () => {
    it('delivers every pending and in-flight event after the server is killed with SIGKILL and started again', { timeout: 90_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tmfbill-crash-'))
      const databaseUrl = kind === 'sqlite' ? `sqlite:${join(dir, 'crash.db')}` : freshDatabaseUrl('postgres')
      const listener = await startListener()
      // Before the kill the listener never answers: the server is in the middle of a request when it dies.
      listener.respond = () => new Promise(() => {})
      const port = await freePort()
      const url = `http://127.0.0.1:${port}`
      const env = {
        DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', BILL_RUN_SCHEDULE: 'off',
        ALLOW_PRIVATE_CALLBACKS: 'true', EVENT_POLL_MS: '50', EVENT_TIMEOUT_MS: '500', EVENT_RETRY_BASE_MS: '200'
      }
      let server = startServerProcess(env)
      const store = await openStore(databaseUrl)
      try {
        await waitUntilHealthy(url)
        const hub = await fetch(`${url}/tmf-api/customerBillManagement/v4/hub`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callback: `${listener.url}/hook` })
        })
        assert.equal(hub.status, 201)
        // Committed by another process on the same database, as the engine's transactions would.
        const events = []
        for (let i = 0; i < 10; i++) events.push((await commitEvent(store, 'CustomerBillCreateEvent', bill(`b-${i}`, 'new'))).eventId)

        await listener.waitFor(1, 20_000)
        server.kill('SIGKILL')
        await exited(server)
        const atKill = listener.received.length
        listener.respond = () => 204

        server = startServerProcess(env)
        await waitUntilHealthy(url)
        const deadline = Date.now() + 40_000
        while (new Set(listener.received.map((r) => r.headers['x-event-id'])).size < events.length && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        const arrived = new Set(listener.received.slice(atKill).map((r) => String(r.headers['x-event-id'])))
        assert.deepEqual(events.filter((id) => !arrived.has(id)), [], 'every event reached the listener after the restart')
        let statuses: string[] = []
        while (Date.now() < deadline) {
          statuses = (await listDeliveries(store, {})).map((d) => d.status)
          if (statuses.every((s) => s === 'delivered')) break
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        assert.deepEqual(statuses, Array(10).fill('delivered'))
      } finally {
        server.kill('SIGKILL')
        await exited(server)
        await store.close()
        await listener.close()
        await dropSchemaOf(databaseUrl)
        await rm(dir, { recursive: true, force: true })
      }
    })
  })
}
