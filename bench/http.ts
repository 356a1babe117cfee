import autocannon, { type AutocannonRequest } from 'autocannon'
import { readProcCpuMs, sampleMemory } from './processes.ts'
import { percentile, Samples } from './stats.ts'

export interface HttpCase {
  /** Short key used in the tables and goals (`getById`, `listFiltered`, …). */
  key: string
  label: string
  method: 'GET' | 'POST'
  /** The path of a request; called for every request so each can differ (a random id, a unique externalId). */
  path: () => string
  body?: () => string
  contentType?: string
}

export interface HttpFigures {
  key: string
  label: string
  connections: number
  requestsPerSecond: number
  /** Latency of successful responses, measured per response (autocannon's histogram rounds to whole ms). */
  p50Ms: number
  p99Ms: number
  responses: number
  non2xx: number
  errors: number
  /**
   * CPU time the server process spent per response, in µs: unlike req/s it hardly depends on what else the
   * machine is doing, so it is the figure to compare between runs.
   */
  serverCpuUsPerResponse: number | undefined
  /** Highest resident set size of the server process during this case (sampled every 100 ms). */
  serverRssMaxBytes: number | undefined
}

/**
 * One autocannon run of a case at a number of connections: a warm-up (not counted) and then the measured
 * run. Latencies are taken from every 2xx response, so that sub-millisecond medians are not rounded away.
 */
export async function runHttpCase (baseUrl: string, c: HttpCase, connections: number, seconds: number, warmupSeconds: number,
  serverPid: number): Promise<HttpFigures> {
  const request: AutocannonRequest = {
    method: c.method,
    ...(c.contentType !== undefined ? { headers: { 'content-type': c.contentType } } : {}),
    setupRequest: (req) => ({ ...req, path: c.path(), ...(c.body ? { body: c.body() } : {}) })
  }
  if (warmupSeconds > 0) await autocannon({ url: baseUrl, connections, duration: warmupSeconds, requests: [request] })
  const samples = new Samples()
  const cpuBefore = readProcCpuMs(serverPid)
  const rss = sampleMemory(serverPid, 'VmRSS', 100)
  const instance = autocannon({ url: baseUrl, connections, duration: seconds, requests: [request] })
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) samples.push(ms)
  })
  const result = await instance
  const cpuAfter = readProcCpuMs(serverPid)
  const serverRssMaxBytes = rss.stop()
  const latencies = samples.values()
  const answered = latencies.length + result.non2xx
  return {
    key: c.key,
    label: c.label,
    connections,
    requestsPerSecond: result.requests.average,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    responses: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors,
    serverRssMaxBytes,
    serverCpuUsPerResponse: cpuBefore !== undefined && cpuAfter !== undefined && answered > 0 ? ((cpuAfter - cpuBefore) * 1000) / answered : undefined
  }
}

/** Picks uniformly at random from a non-empty list. */
export function pick<T> (items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)]
  if (item === undefined) throw new Error('nothing to pick from')
  return item
}
