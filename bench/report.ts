import { existsSync, readFileSync } from 'node:fs'
import type { HttpFigures } from './http.ts'
import { type BenchReport, baselineRps, type StoreResult } from './results.ts'

const MB = 1024 * 1024

export interface GoalCheck {
  goal: string
  target: string
  measured: string
  /** undefined: not measured in this run, or not a goal for this store. */
  met: boolean | undefined
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')

const fmt = {
  int,
  ms: (n: number) => Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–',
  mb: (bytes: number | undefined) => bytes === undefined ? '–' : `${Math.round(bytes / MB)} MB`,
  s: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
  pct: (r: number) => `${Math.round(r * 100)}%`,
  us: (us: number | undefined) => us === undefined || !Number.isFinite(us) ? '–' : int(us)
}

function httpCase (s: StoreResult, key: string, connections: number): HttpFigures | undefined {
  return s.http?.cases.find((c) => c.key === key && c.connections === connections)
}

/** Baseline CPU per response over tmfbill's: the share of the baseline's rate tmfbill would reach if only CPU counted. */
function cpuRatioText (s: StoreResult, cpuUs: number | undefined, connections: number): string {
  const base = s.http?.baseline.filter((b) => b.connections === connections).map((b) => b.serverCpuUsPerResponse)
    .filter((v): v is number => v !== undefined) ?? []
  if (cpuUs === undefined || base.length === 0) return ''
  const baseUs = base.reduce((a, b) => a + b, 0) / base.length
  return `; server CPU per response ${int(cpuUs)} µs vs ${int(baseUs)} µs (${Math.round((100 * baseUs) / cpuUs)}%)`
}

/** The goals of issue 6, each checked against this store's figures. */
export function checkGoals (s: StoreResult, maxConnections: number): GoalCheck[] {
  const sqlite = s.store === 'sqlite'
  const goals: GoalCheck[] = []
  const byId = httpCase(s, 'getById', maxConnections)
  if (s.http && byId) {
    const ratio = byId.requestsPerSecond / baselineRps(s.http, maxConnections)
    goals.push({
      goal: `GET customerBill/{id} vs baseline, ${maxConnections} connections`,
      target: '≥ 60% of baseline req/s',
      measured: `${fmt.pct(ratio)} (${fmt.int(byId.requestsPerSecond)} vs ${fmt.int(baselineRps(s.http, maxConnections))} req/s)` +
        cpuRatioText(s, byId.serverCpuUsPerResponse, maxConnections),
      met: ratio >= 0.6
    })
    goals.push({ goal: `GET customerBill/{id} p99, ${maxConnections} connections`, target: '< 10 ms', measured: `${fmt.ms(byId.p99Ms)} ms`, met: byId.p99Ms < 10 })
  }
  const filtered = httpCase(s, 'listFiltered', 1)
  if (filtered) {
    const loaded = httpCase(s, 'listFiltered', maxConnections)
    goals.push({
      goal: `Filtered list p50 (${fmt.int(s.data.rates)} rates, ${fmt.int(s.data.bills)} bills), 1 connection`,
      target: '< 5 ms',
      measured: `${fmt.ms(filtered.p50Ms)} ms${loaded ? ` (${fmt.ms(loaded.p50Ms)} ms at ${maxConnections} connections)` : ''}`,
      met: filtered.p50Ms < 5
    })
  }
  goals.push({
    goal: `Import of ${fmt.int(s.import.lines)} rates`,
    target: '≥ 100,000 rates/s (SQLite)',
    measured: `${fmt.int(s.import.ratesPerSecond)} rates/s` +
      (s.storageFloor ? ` (SQLite alone, same schema, this machine: ${fmt.int(s.storageFloor.rowsPerSecond)} rows/s)` : ''),
    met: sqlite ? s.import.ratesPerSecond >= 100_000 : undefined
  })
  goals.push({
    goal: 'Import peak RSS',
    target: '< 300 MB (SQLite)',
    measured: fmt.mb(s.import.peakRssBytes),
    met: sqlite && s.import.peakRssBytes !== undefined ? s.import.peakRssBytes < 300 * MB : undefined
  })
  goals.push({
    goal: `Bill run over ${fmt.int(s.billRun.accounts)} accounts`,
    target: '≥ 5,000 accounts/s (SQLite)',
    measured: `${fmt.int(s.billRun.accountsPerSecond)} accounts/s (${fmt.int(s.billRun.ratesPerSecond)} rates/s)`,
    met: sqlite ? s.billRun.accountsPerSecond >= 5000 : undefined
  })
  if (s.http) {
    goals.push({
      goal: 'Server RSS under load (max during the HTTP runs)',
      target: '< 200 MB',
      measured: fmt.mb(s.http.serverRssMaxBytes),
      met: s.http.serverRssMaxBytes !== undefined ? s.http.serverRssMaxBytes < 200 * MB : undefined
    })
  }
  return goals
}

function verdict (met: boolean | undefined): string {
  return met === undefined ? 'not a goal here' : met ? '**met**' : '**missed**'
}

function table (head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

function storeTitle (s: StoreResult): string {
  return s.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'
}

function storeSection (s: StoreResult, report: BenchReport, maxConnections: number): string {
  const parts: string[] = [`## ${storeTitle(s)}`, '',
    `${s.version}. Data: ${fmt.int(s.data.rates)} rates over ${fmt.int(s.data.accounts)} accounts, billed into ${fmt.int(s.data.bills)} bills, ` +
    `then ${fmt.int(s.data.extraRates)} more rates left unbilled; ${fmt.mb(s.data.databaseBytes)} on disk.` +
    (s.maintenanceMs > 0
      ? ` Autovacuum is off on this PostgreSQL (a test cluster), so the harness ran VACUUM (ANALYZE) on the run's tables after each preparation step ` +
        `(${fmt.s(s.maintenanceMs)} in all), as autovacuum would have; without it, the million dead rate rows a bill run leaves made ` +
        'GET appliedCustomerBillingRate?isBilled=false take 0.5 s.'
      : ''), '']
  if (s.failures.length > 0) parts.push('**Failures in this run:**', '', ...s.failures.map((f) => `- ${f.split('\n')[0]}`), '')
  parts.push('### Goals', '', table(['goal', 'target', 'measured', 'result'],
    checkGoals(s, maxConnections).map((g) => [g.goal, g.target, g.measured, verdict(g.met)])), '')
  parts.push('### Engine', '', table(['step', 'volume', 'throughput', 'process wall time', 'peak RSS'], [
    ...(s.storageFloor
      ? [['reference: SQLite alone inserting rates into the same schema (bench/storage-floor.ts)', `${fmt.int(s.storageFloor.rows)} rows`,
          `${fmt.int(s.storageFloor.rowsPerSecond)} rows/s`, `${s.storageFloor.seconds.toFixed(1)} s (${s.storageFloor.cpuSeconds.toFixed(1)} s CPU)`, '–']]
      : []),
    ['`tmfbill import` (NDJSON)', `${fmt.int(s.import.created)} rates`, `${fmt.int(s.import.ratesPerSecond)} rates/s`, fmt.s(s.import.wallMs), fmt.mb(s.import.peakRssBytes)],
    ['`tmfbill bill-run`', `${fmt.int(s.billRun.accounts)} accounts, ${fmt.int(s.billRun.bills)} bills`,
      `${fmt.int(s.billRun.accountsPerSecond)} accounts/s, ${fmt.int(s.billRun.ratesPerSecond)} rates/s`, fmt.s(s.billRun.wallMs), fmt.mb(s.billRun.peakRssBytes)],
    ['`tmfbill render-documents` (PDF)', `${fmt.int(s.render.documents)} documents`, `${fmt.int(s.render.documentsPerSecond)} documents/s`, fmt.s(s.render.wallMs), fmt.mb(s.render.peakRssBytes)],
    ['`tmfbill import` (unbilled extra)', `${fmt.int(s.extraImport.created)} rates`, `${fmt.int(s.extraImport.ratesPerSecond)} rates/s`, fmt.s(s.extraImport.wallMs), fmt.mb(s.extraImport.peakRssBytes)]
  ]), '')
  if (s.onDemand) {
    parts.push(`On-demand bill, end to end (POST customerBillOnDemand, then GET every 2 ms until it leaves inProgress), ` +
      `${s.onDemand.requests} requests one after another: **p50 ${fmt.ms(s.onDemand.p50Ms)} ms, p99 ${fmt.ms(s.onDemand.p99Ms)} ms** ` +
      `(max ${fmt.ms(s.onDemand.maxMs)} ms; ${s.onDemand.done} ended done).`, '')
  }
  if (s.http) {
    const h = s.http
    const rows: string[][] = []
    const connections = [...new Set(h.cases.map((c) => c.connections))].sort((a, b) => a - b)
    for (const c of connections) {
      const base = baselineRps(h, c)
      const runs = h.baseline.filter((b) => b.connections === c)
      rows.push([`baseline: static ${fmt.int(h.responseBytes)}-byte JSON (mean of ${runs.map((r) => fmt.int(r.requestsPerSecond)).join(' and ')} req/s)`,
        String(c), fmt.int(base), '100%', ...latencyCells(runs)])
      for (const f of h.cases.filter((x) => x.connections === c)) {
        rows.push([f.label, String(c), fmt.int(f.requestsPerSecond), fmt.pct(f.requestsPerSecond / base), fmt.ms(f.p50Ms), fmt.ms(f.p99Ms),
          fmt.us(f.serverCpuUsPerResponse), fmt.mb(f.serverRssMaxBytes), f.non2xx + f.errors > 0 ? `${fmt.int(f.non2xx)} non-2xx, ${fmt.int(f.errors)} errors` : ''])
      }
    }
    parts.push('### HTTP', '', `${report.size.duration} s per case after a ${report.size.warmup} s warm-up; latencies of 2xx responses. ` +
      `Server RSS: max ${fmt.mb(h.serverRssMaxBytes)} over all cases (baseline server: ${fmt.mb(h.baselineRssMaxBytes)}).`, '',
    table(['endpoint', 'connections', 'req/s', 'vs baseline', 'p50 ms', 'p99 ms', 'server CPU µs/response', 'server RSS max', 'failures'], rows), '')
  }
  if (s.events && s.events.length > 0) {
    parts.push('### Events', '', table(['subscriptions', 'events', 'deliveries', 'time', 'deliveries/s', 'latency p50 ms', 'latency p99 ms'],
      s.events.map((e) => [String(e.subscriptions), fmt.int(e.events), fmt.int(e.deliveries), `${e.seconds.toFixed(2)} s`,
        fmt.int(e.deliveriesPerSecond), fmt.ms(e.p50Ms), fmt.ms(e.p99Ms)])), '')
  }
  return parts.join('\n')
}

function latencyCells (runs: HttpFigures[]): string[] {
  const mean = (f: (r: HttpFigures) => number) => runs.reduce((s, r) => s + f(r), 0) / Math.max(1, runs.length)
  const cpu = runs.map((r) => r.serverCpuUsPerResponse).filter((v): v is number => v !== undefined)
  const rss = runs.map((r) => r.serverRssMaxBytes).filter((v): v is number => v !== undefined)
  return [fmt.ms(mean((r) => r.p50Ms)), fmt.ms(mean((r) => r.p99Ms)), fmt.us(cpu.length > 0 ? cpu.reduce((a, b) => a + b, 0) / cpu.length : undefined),
    fmt.mb(rss.length > 0 ? Math.max(...rss) : undefined), '']
}

const KEPT_START = '<!-- kept:start -->'
const KEPT_END = '<!-- kept:end -->'

/** The hand-written part of an existing report (profiling notes, before/after), kept across runs. */
function keptSection (file: string): string {
  if (!existsSync(file)) return `${KEPT_START}\n${KEPT_END}`
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(KEPT_START)
  const end = text.indexOf(KEPT_END)
  return start >= 0 && end > start ? text.slice(start, end + KEPT_END.length) : `${KEPT_START}\n${KEPT_END}`
}

export function renderMarkdown (report: BenchReport, previousFile: string): string {
  const m = report.machine
  const maxConnections = Math.max(...report.stores.flatMap((s) => s.http?.cases.map((c) => c.connections) ?? [32]))
  const indicative = report.size.name === 'small'
    ? '\n> This is a **small** run: the goals are stated for the full size (1,000,000 rates, 100,000 bills), so the verdicts below are indicative only.\n'
    : ''
  return [
    '# Benchmarks', '',
    `Written by \`${report.command}\` (bench/run.ts) on ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC at commit ${m.commit}; ` +
    `the run took ${Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 60000)} min. ` +
    'Every figure below comes from that one run; the text between the "kept" markers at the end is written by hand and kept across runs.',
    indicative,
    '## Machine', '',
    table(['CPU', 'cores', 'RAM', 'OS', 'Node', 'Fastify', 'autocannon', 'load average at start'], [[
      m.cpu, String(m.cores), `${Math.round(m.memoryBytes / 1024 ** 3)} GB`, m.os, m.node, m.fastify, m.autocannon,
      m.loadAverageAtStart.map((l) => l.toFixed(2)).join(', ')
    ]]), '',
    'The load generator (autocannon), the tmfbill server, the baseline server and PostgreSQL all share these cores, ' +
    'so absolute numbers are lower than on a machine where the load comes from elsewhere; the ratio to the baseline is the figure that travels.', '',
    '## How to reproduce', '',
    '```sh',
    'npm run bench                                   # SQLite, small size: a few minutes',
    'npm run bench -- --store both --size full       # what this file was written with when it says "full"',
    'npm run bench -- --only http --duration 30      # only some suites, longer HTTP cases',
    'npm run bench -- --profile import,bill-run,serve  # CPU profiles into .bench/profiles (read them with bench/profile-top.ts)',
    '```', '',
    'What a run does: it compiles tmfbill (`npm run build`: every tmfbill process runs `node dist/cli/main.js`, as deployed, ' +
    'without the TypeScript loader and its thread), writes an NDJSON file of rated charges (10 per account, dated last month), imports it with ' +
    '`tmfbill import`, bills it with `tmfbill bill-run`, renders the bill PDFs with `tmfbill render-documents`, imports a second ' +
    'file of rates dated today (they stay unbilled), then starts `tmfbill serve` as a separate process (LOG_LEVEL=warn, ' +
    'BILL_RUN_SCHEDULE=off) and waits until it has no background work left. HTTP cases run with autocannon from the harness ' +
    'process against that server; ids and accounts are picked at random per request; each POST carries a new externalId. ' +
    'The baseline is a second process with the same Fastify serving a static JSON body as large as a GET customerBill/{id} ' +
    'response (bench/baseline-server.ts), measured before and after the endpoints at each connection count. Server RSS is ' +
    'sampled from /proc every 100 ms during the HTTP cases. Events: a node:http listener on 127.0.0.1 registered through ' +
    'POST /hub (ALLOW_PRIVATE_CALLBACKS=true); bills are moved to another state by PATCH, and the time runs until every ' +
    'delivery has arrived. PostgreSQL runs in a fresh schema that is dropped afterwards.', '',
    ...report.stores.map((s) => storeSection(s, report, maxConnections)),
    keptSection(previousFile), ''
  ].join('\n')
}

/** A compact console summary. */
export function printSummary (report: BenchReport): void {
  const maxConnections = Math.max(...report.stores.flatMap((s) => s.http?.cases.map((c) => c.connections) ?? [32]))
  for (const s of report.stores) {
    console.log(`\n== ${storeTitle(s)} (${report.size.name}) ==`)
    const rows: [string, string][] = [
      ['import', `${fmt.int(s.import.ratesPerSecond)} rates/s, peak RSS ${fmt.mb(s.import.peakRssBytes)}`],
      ['bill run', `${fmt.int(s.billRun.accountsPerSecond)} accounts/s, ${fmt.int(s.billRun.ratesPerSecond)} rates/s, peak RSS ${fmt.mb(s.billRun.peakRssBytes)}`],
      ['render documents', `${fmt.int(s.render.documentsPerSecond)} documents/s`]
    ]
    if (s.onDemand) rows.push(['on-demand', `p50 ${fmt.ms(s.onDemand.p50Ms)} ms, p99 ${fmt.ms(s.onDemand.p99Ms)} ms`])
    if (s.http) {
      for (const c of [...new Set(s.http.baseline.map((b) => b.connections))]) rows.push([`baseline c=${c}`, `${fmt.int(baselineRps(s.http, c))} req/s`])
      for (const f of s.http.cases) {
        rows.push([`${f.key} c=${f.connections}`, `${fmt.int(f.requestsPerSecond)} req/s (${fmt.pct(f.requestsPerSecond / baselineRps(s.http, f.connections))}), ` +
          `p50 ${fmt.ms(f.p50Ms)} ms, p99 ${fmt.ms(f.p99Ms)} ms${f.non2xx + f.errors > 0 ? `, ${f.non2xx} non-2xx, ${f.errors} errors` : ''}`])
      }
      rows.push(['server RSS max', fmt.mb(s.http.serverRssMaxBytes)])
    }
    for (const e of s.events ?? []) rows.push([`events x${e.subscriptions}`, `${fmt.int(e.deliveriesPerSecond)} deliveries/s, p50 ${fmt.ms(e.p50Ms)} ms, p99 ${fmt.ms(e.p99Ms)} ms`])
    const width = Math.max(...rows.map((r) => r[0].length))
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
    console.log('goals:')
    for (const g of checkGoals(s, maxConnections)) console.log(`  ${g.met === undefined ? '  -   ' : g.met ? '  met ' : 'MISSED'}  ${g.goal}: ${g.measured} (target ${g.target})`)
    for (const f of s.failures) console.log(`FAILED: ${f.split('\n')[0]}`)
  }
}
