import type { BillRunFigures, ImportFigures, OnDemandFigures, RenderFigures } from './engine.ts'
import type { EventFigures } from './events.ts'
import type { HttpFigures } from './http.ts'
import type { SizeSpec, StoreKind } from './options.ts'

export interface HttpSuiteResult {
  /** Bytes of the GET customerBill/{id} body; the baseline serves a body of exactly this size. */
  responseBytes: number
  /** Baseline runs (one before and one after the endpoints, at each connection count). */
  baseline: HttpFigures[]
  cases: HttpFigures[]
  serverRssMaxBytes: number | undefined
  baselineRssMaxBytes: number | undefined
}

export interface StoreResult {
  store: StoreKind
  version: string
  data: { rates: number; accounts: number; bills: number; extraRates: number; databaseBytes: number }
  import: ImportFigures
  /** SQLite alone inserting rates into the same schema (bench/storage-floor.ts); SQLite runs only. */
  storageFloor?: { rows: number; seconds: number; rowsPerSecond: number; cpuSeconds: number }
  billRun: BillRunFigures
  render: RenderFigures
  extraImport: ImportFigures
  onDemand?: OnDemandFigures
  http?: HttpSuiteResult
  events?: EventFigures[]
  /** Time spent in VACUUM (ANALYZE) because the PostgreSQL's autovacuum is off (0: not needed). */
  maintenanceMs: number
  /** A suite that failed is reported here and the run goes on with the next one. */
  failures: string[]
}

export interface MachineInfo {
  /** The commit measured, with "+ changes" when the tree had uncommitted changes. */
  commit: string
  cpu: string
  cores: number
  memoryBytes: number
  os: string
  node: string
  fastify: string
  autocannon: string
  loadAverageAtStart: number[]
}

export interface BenchReport {
  startedAt: string
  finishedAt: string
  command: string
  size: SizeSpec
  machine: MachineInfo
  stores: StoreResult[]
}

/** Mean requests/s of the baseline runs at a connection count. */
export function baselineRps (http: HttpSuiteResult, connections: number): number {
  const runs = http.baseline.filter((b) => b.connections === connections)
  return runs.reduce((s, b) => s + b.requestsPerSecond, 0) / Math.max(1, runs.length)
}
