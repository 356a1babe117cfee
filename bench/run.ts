import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type } from 'node:os'
import { join, resolve } from 'node:path'
import { accountId, previousMonth, writeRateFile } from './data.ts'
import { importRateFile, measureOnDemand, renderDocumentsCommand, runBillRunCommand } from './engine.ts'
import { EventListener, measureDeliveries, subscribe } from './events.ts'
import { type HttpCase, type HttpFigures, pick, runHttpCase } from './http.ts'
import { type BenchOptions, parseOptions, type StoreKind } from './options.ts'
import { buildTmfbill, childEnv, cliScript, freePort, ROOT, runScript, sampleMemory, type ServerProcess, startServerProcess, WORK_DIR } from './processes.ts'
import { printSummary, renderMarkdown } from './report.ts'
import type { BenchReport, HttpSuiteResult, MachineInfo, StoreResult } from './results.ts'
import { type BenchDatabase, openBenchDatabase, waitForQuiet } from './stores.ts'

const API = '/tmf-api/customerBillManagement/v4'
const MAIN_PREFIX = 'BA-'
const EXTRA_PREFIX = 'BX-'

interface RateFiles { main: string; extra: string; asOf: Date }

function log (message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`)
}

function packageVersion (name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

function commitOf (root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${head} + uncommitted changes in src/` : head
  } catch {
    return 'unknown (not a git checkout)'
  }
}

function machineInfo (): MachineInfo {
  const cpu = cpus()
  return {
    commit: commitOf(ROOT),
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    fastify: packageVersion('fastify'),
    autocannon: packageVersion('autocannon'),
    loadAverageAtStart: loadavg()
  }
}

/** The two NDJSON files of a run: last month's rates (billed by the run), and today's (left unbilled). */
async function writeRateFiles (opts: BenchOptions, tag: string): Promise<RateFiles> {
  const now = new Date()
  const month = previousMonth(now)
  const dir = join(WORK_DIR, 'data')
  const main = join(dir, `rates-${opts.size.name}-${tag}.ndjson`)
  const extra = join(dir, `rates-extra-${opts.size.name}-${tag}.ndjson`)
  const started = performance.now()
  const { bytes } = await writeRateFile({
    file: main, rates: opts.size.rates, accounts: opts.size.accounts, accountPrefix: MAIN_PREFIX,
    externalPrefix: `bench-${tag}`, from: month.from, to: month.to
  })
  await writeRateFile({
    file: extra, rates: opts.size.extraRates, accounts: opts.size.extraAccounts, accountPrefix: EXTRA_PREFIX,
    externalPrefix: `bench-extra-${tag}`, from: new Date(now.getTime() - 3_600_000), to: new Date(now.getTime() - 60_000)
  })
  log(`wrote ${opts.size.rates.toLocaleString('en-US')} rates (${Math.round(bytes / 1024 / 1024)} MB) and ` +
    `${opts.size.extraRates.toLocaleString('en-US')} extra rates in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return { main, extra, asOf: now }
}

async function getJson<T> (url: string): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(url)
  const text = await res.text()
  return { status: res.status, body: JSON.parse(text) as T, text }
}

/** Bill ids spread over the whole table: a page of ids at several offsets. */
async function sampleBillIds (api: string, bills: number): Promise<string[]> {
  const ids: string[] = []
  const pages = 5
  for (let i = 0; i < pages; i++) {
    const offset = Math.floor((bills / pages) * i)
    const { body } = await getJson<{ id: string }[]>(`${api}/customerBill?fields=id&limit=1000&offset=${offset}`)
    ids.push(...body.map((b) => b.id))
  }
  return ids
}

function httpCases (billIds: string[], accounts: string[], tag: string): HttpCase[] {
  let posted = 0
  const today = new Date().toISOString()
  return [
    { key: 'getById', label: 'GET customerBill/{id}', method: 'GET', path: () => `${API}/customerBill/${pick(billIds)}` },
    {
      key: 'listFiltered',
      label: 'GET customerBill?billingAccount.id=…&state=new&limit=50',
      method: 'GET',
      path: () => `${API}/customerBill?billingAccount.id=${pick(accounts)}&state=new&limit=50`
    },
    { key: 'listFields', label: 'GET customerBill?fields=billNo,amountDue&limit=50', method: 'GET', path: () => `${API}/customerBill?fields=billNo,amountDue&limit=50` },
    {
      key: 'listUnbilled',
      label: 'GET appliedCustomerBillingRate?isBilled=false&limit=100',
      method: 'GET',
      path: () => `${API}/appliedCustomerBillingRate?isBilled=false&limit=100`
    },
    {
      key: 'postRate',
      label: 'POST appliedCustomerBillingRate (new externalId each)',
      method: 'POST',
      contentType: 'application/json',
      path: () => `${API}/appliedCustomerBillingRate`,
      body: () => JSON.stringify({
        externalId: `bench-post-${tag}-${posted++}`,
        billingAccount: { id: pick(accounts) },
        date: today,
        type: 'usageCharge',
        name: 'Data usage',
        product: { id: 'PO-MOBILE-M', name: 'Mobile M' },
        taxExcludedAmount: { unit: 'EUR', value: '1.25' }
      })
    }
  ]
}

async function runHttpSuite (opts: BenchOptions, server: ServerProcess, billIds: string[], accounts: string[], tag: string): Promise<HttpSuiteResult> {
  const api = server.url + API
  const sample = await getJson<Record<string, unknown>>(`${api}/customerBill/${billIds[0] ?? ''}`)
  if (sample.status !== 200) throw new Error(`GET customerBill/{id} answered ${sample.status}: ${sample.text.slice(0, 300)}`)
  const bodyFile = join(WORK_DIR, `baseline-body-${tag}.json`)
  writeFileSync(bodyFile, sample.text)
  const port = await freePort()
  const baselineServer = await startServerProcess('baseline', join(ROOT, 'bench/baseline-server.ts'),
    ['--port', String(port), '--body-file', bodyFile], childEnv({}), { port, readyPath: '/health' })
  const serverRss = sampleMemory(server.pid, 'VmRSS', 100)
  const baselineRss = sampleMemory(baselineServer.pid, 'VmRSS', 100)
  const baseline: HttpFigures[] = []
  const cases: HttpFigures[] = []
  const { duration, warmup } = opts.size
  const baselineCase: HttpCase = { key: 'baseline', label: 'baseline', method: 'GET', path: () => '/static' }
  try {
    for (const connections of opts.connections) {
      baseline.push(await runHttpCase(baselineServer.url, baselineCase, connections, duration, warmup, baselineServer.pid))
      log(`  baseline c=${connections}: ${Math.round(baseline.at(-1)?.requestsPerSecond ?? 0)} req/s`)
      for (const c of httpCases(billIds, accounts, tag)) {
        const figures = await runHttpCase(server.url, c, connections, duration, warmup, server.pid)
        cases.push(figures)
        log(`  ${c.key} c=${connections}: ${Math.round(figures.requestsPerSecond)} req/s, p50 ${figures.p50Ms.toFixed(2)} ms, ` +
          `p99 ${figures.p99Ms.toFixed(2)} ms, ${Math.round(figures.serverCpuUsPerResponse ?? 0)} µs CPU/response, RSS ${Math.round((figures.serverRssMaxBytes ?? 0) / 1048576)} MB${figures.non2xx + figures.errors > 0 ? `, ${figures.non2xx} non-2xx, ${figures.errors} errors` : ''}`)
      }
      baseline.push(await runHttpCase(baselineServer.url, baselineCase, connections, duration, warmup, baselineServer.pid))
      log(`  baseline c=${connections}: ${Math.round(baseline.at(-1)?.requestsPerSecond ?? 0)} req/s`)
    }
  } finally {
    await baselineServer.stop()
    rmSync(bodyFile, { force: true })
  }
  return {
    responseBytes: Buffer.byteLength(sample.text),
    baseline,
    cases,
    serverRssMaxBytes: serverRss.stop(),
    baselineRssMaxBytes: baselineRss.stop()
  }
}

async function runEventsSuite (opts: BenchOptions, server: ServerProcess, billIds: string[]) {
  const api = server.url + API
  const listener = new EventListener()
  await listener.start()
  try {
    const bills = billIds.slice(0, opts.size.events)
    const one = await measureDeliveries(api, listener, bills, 'validated', await subscribe(api, listener, 1).then((s) => s.length))
    log(`  1 subscription: ${Math.round(one.deliveriesPerSecond)} deliveries/s`)
    await subscribe(api, listener, 7, 1)
    const eight = await measureDeliveries(api, listener, bills, 'sent', 8)
    log(`  8 subscriptions: ${Math.round(eight.deliveriesPerSecond)} deliveries/s`)
    return [one, eight]
  } finally {
    await listener.stop()
  }
}

async function runStore (kind: StoreKind, opts: BenchOptions, files: RateFiles, tag: string): Promise<StoreResult> {
  const db: BenchDatabase = openBenchDatabase(kind, `${tag}_${kind}`, opts.postgresUrl)
  const env = childEnv({ DATABASE_URL: db.url })
  const profile = (command: 'import' | 'bill-run' | 'serve') => opts.profile.has(command) ? `${command}-${kind}` : undefined
  const failures: string[] = []
  let server: ServerProcess | undefined
  try {
    let storageFloor: StoreResult['storageFloor']
    if (kind === 'sqlite') {
      const rows = Math.min(opts.size.rates, 200_000)
      const run = await runScript(join(ROOT, 'bench/storage-floor.ts'), ['--file', join(WORK_DIR, 'db', `floor-${tag}.db`), '--rows', String(rows)])
      storageFloor = JSON.parse(run.trim().split('\n').pop() ?? '{}') as StoreResult['storageFloor']
      log(`${kind}: SQLite alone stores ${Math.round(storageFloor?.rowsPerSecond ?? 0)} rates/s in this schema`)
    }
    log(`${kind}: importing ${opts.size.rates.toLocaleString('en-US')} rates`)
    let maintenanceMs = 0
    // NOTE: a PostgreSQL without autovacuum (this machine's test cluster) never drops the dead rows a bill run
    // leaves behind, nor updates its statistics; production ones do both by themselves, so the harness does it.
    const maintain = async () => { maintenanceMs += await db.maintain() }
    const imported = await importRateFile(files.main, env, profile('import'))
    if (imported.created !== opts.size.rates) throw new Error(`import created ${imported.created} of ${opts.size.rates} rates`)
    await maintain()
    log(`${kind}: import ${Math.round(imported.ratesPerSecond)} rates/s; bill run`)
    const billRun = await runBillRunCommand(files.asOf, env, profile('bill-run'))
    if (billRun.accounts !== opts.size.accounts) throw new Error(`bill run billed ${billRun.accounts} of ${opts.size.accounts} accounts`)
    await maintain()
    log(`${kind}: bill run ${Math.round(billRun.accountsPerSecond)} accounts/s; rendering documents`)
    const render = await renderDocumentsCommand(env)
    await maintain()
    log(`${kind}: ${render.documents} documents, ${Math.round(render.documentsPerSecond)}/s; importing the unbilled extra rates`)
    const extraImport = await importRateFile(files.extra, env)
    await maintain()
    if (maintenanceMs > 0) log(`${kind}: autovacuum is off: VACUUM (ANALYZE) after each step took ${(maintenanceMs / 1000).toFixed(1)} s in all`)

    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const profileName = profile('serve')
    server = await startServerProcess(`tmfbill-serve-${kind}`, cliScript(), ['serve'],
      childEnv({ DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, ALLOW_PRIVATE_CALLBACKS: 'true' }),
      { port, readyPath: '/health', ...(profileName !== undefined ? { profileName } : {}) })
    log(`${kind}: server up (pid ${server.pid}); waiting for its background work to finish`)
    await waitForQuiet(db, 30 * 60_000)
    const api = server.url + API
    const billIds = await sampleBillIds(api, billRun.bills)
    const accounts = Array.from({ length: opts.size.accounts }, (_, i) => accountId(MAIN_PREFIX, i))
    const result: StoreResult = {
      store: kind,
      version: await db.version(),
      data: { rates: imported.created, accounts: billRun.accounts, bills: billRun.bills, extraRates: extraImport.created, databaseBytes: 0 },
      import: imported,
      ...(storageFloor !== undefined ? { storageFloor } : {}),
      billRun,
      render,
      extraImport,
      maintenanceMs,
      failures
    }
    if (opts.suites.has('http')) {
      log(`${kind}: HTTP cases`)
      try {
        result.http = await runHttpSuite(opts, server, billIds, accounts, `${tag}-${kind}`)
      } catch (err) {
        failures.push(`HTTP: ${(err as Error).stack ?? String(err)}`)
        log(`${kind}: HTTP suite failed: ${(err as Error).message}`)
      }
    }
    if (opts.suites.has('engine')) {
      log(`${kind}: on-demand bills`)
      try {
        const onDemandAccounts = Array.from({ length: opts.size.onDemandRequests }, (_, i) => accountId(EXTRA_PREFIX, i))
        result.onDemand = await measureOnDemand(api, onDemandAccounts)
      } catch (err) {
        failures.push(`on-demand: ${(err as Error).stack ?? String(err)}`)
        log(`${kind}: on-demand failed: ${(err as Error).message}`)
      }
    }
    if (opts.suites.has('events')) {
      log(`${kind}: event deliveries`)
      try {
        await waitForQuiet(db, 5 * 60_000)
        result.events = await runEventsSuite(opts, server, billIds)
      } catch (err) {
        failures.push(`events: ${(err as Error).stack ?? String(err)}`)
        log(`${kind}: events suite failed: ${(err as Error).message}`)
      }
    }
    await server.stop()
    server = undefined
    result.data.databaseBytes = await db.sizeBytes()
    return result
  } finally {
    await server?.stop()
    await db.dispose(opts.keep)
  }
}

async function main (): Promise<void> {
  const opts = parseOptions(process.argv.slice(2))
  const startedAt = new Date()
  const tag = startedAt.getTime().toString(36)
  mkdirSync(WORK_DIR, { recursive: true })
  const machine = machineInfo()
  log(`tmfbill benchmarks: ${opts.stores.join(' + ')}, ${opts.size.name} size, suites ${[...opts.suites].join(', ')}; ` +
    `${machine.cores} × ${machine.cpu}, Node ${machine.node}`)
  log('compiling tmfbill (npm run build): its processes run from dist/, as deployed')
  await buildTmfbill()
  const files = await writeRateFiles(opts, tag)
  const stores: StoreResult[] = []
  try {
    for (const kind of opts.stores) stores.push(await runStore(kind, opts, files, tag))
  } finally {
    if (!opts.keep) for (const file of [files.main, files.extra]) rmSync(file, { force: true })
  }
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['npm run bench', ...(opts.argv.length > 0 ? ['--', ...opts.argv] : [])].join(' '),
    size: opts.size,
    machine,
    stores
  }
  const resultsDir = join(WORK_DIR, 'results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, `${tag}-${opts.size.name}.json`), JSON.stringify(report, null, 2))
  printSummary(report)
  const out = resolve(ROOT, opts.out)
  writeFileSync(out, renderMarkdown(report, out))
  log(`wrote ${out}`)
  if (stores.some((s) => s.failures.length > 0)) process.exitCode = 1
}

await main()
