import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { type Config, loadConfig } from '../../src/config.ts'
import type { Clock } from '../../src/domain/clock.ts'
import { createServer, type Server } from '../../src/server.ts'
import { openTestStore, type StoreKind } from './stores.ts'

export interface TestServer extends Server {
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 */
  url: string
  /** The TMF678 API root. */
  api: string
  config: Config
  close(): Promise<void>
}

/**
 * A real tmfbill server on a free loopback port, over a fresh store of the given kind. Its public URL is the
 * listening address, so every href it returns can be followed.
 */
export async function startTestServer (kind: StoreKind, options: { clock?: Clock; jobs?: boolean; env?: Record<string, string> } = {}): Promise<TestServer> {
  const store = await openTestStore(kind)
  // hrefs are built from the public URL, so the port is chosen before the server is built.
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = { LOG_LEVEL: 'silent', BILL_RUN_SCHEDULE: 'off', ALLOW_PRIVATE_CALLBACKS: 'true', EVENT_POLL_MS: '50', PUBLIC_URL: url, ...options.env }
  const config = loadConfig(env)
  const server = await createServer(config, { store, ...(options.clock ? { clock: options.clock } : {}), ...(options.jobs === false ? { jobs: false } : {}) })
  await server.app.listen({ port, host: '127.0.0.1' })
  return {
    ...server,
    url,
    api: `${url}/tmf-api/customerBillManagement/v4`,
    config,
    close: async () => {
      await server.app.close()
      await store.dispose()
    }
  }
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}
