import { type CliRun, runCliOrThrow, sleep } from './processes.ts'
import { percentile } from './stats.ts'

export interface ImportFigures {
  lines: number
  created: number
  rejected: number
  /** Lines per second as the engine timed the import itself (reading, validating, storing). */
  ratesPerSecond: number
  /** Whole process: start-up, migrations, import, exit. */
  wallMs: number
  peakRssBytes: number | undefined
}

export interface BillRunFigures {
  accounts: number
  bills: number
  rates: number
  accountsPerSecond: number
  ratesPerSecond: number
  wallMs: number
  peakRssBytes: number | undefined
}

export interface RenderFigures {
  documents: number
  documentsPerSecond: number
  wallMs: number
  peakRssBytes: number | undefined
}

export interface OnDemandFigures {
  requests: number
  done: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

function num (text: string): number {
  return Number(text.replace(/,/g, ''))
}

/** `tmfbill import <file>`; its summary line is the engine's own timing. */
export async function importRateFile (file: string, env: NodeJS.ProcessEnv, profileName?: string): Promise<ImportFigures> {
  const run = await runCliOrThrow(['import', file], env, profileName !== undefined ? { profileName } : {})
  const m = /read (\d+) lines in [\d.]+ s \(([\d,]+) lines\/s\): (\d+) created, (\d+) already known, (\d+) rejected/.exec(run.stdout)
  if (!m) throw unexpected('import', run)
  return {
    lines: num(m[1] ?? ''),
    ratesPerSecond: num(m[2] ?? ''),
    created: num(m[3] ?? ''),
    rejected: num(m[5] ?? ''),
    wallMs: run.wallMs,
    peakRssBytes: run.peakRssBytes
  }
}

/** `tmfbill bill-run --as-of <date>`. */
export async function runBillRunCommand (asOf: Date, env: NodeJS.ProcessEnv, profileName?: string): Promise<BillRunFigures> {
  const run = await runCliOrThrow(['bill-run', '--as-of', asOf.toISOString()], env, profileName !== undefined ? { profileName } : {})
  const m = /: (\d+) bills for (\d+) accounts, (\d+) rates, in [\d.]+ s \(([\d,]+) accounts\/s, ([\d,]+) rates\/s\)/.exec(run.stdout)
  if (!m) throw unexpected('bill-run', run)
  return {
    bills: num(m[1] ?? ''),
    accounts: num(m[2] ?? ''),
    rates: num(m[3] ?? ''),
    accountsPerSecond: num(m[4] ?? ''),
    ratesPerSecond: num(m[5] ?? ''),
    wallMs: run.wallMs,
    peakRssBytes: run.peakRssBytes
  }
}

/** `tmfbill render-documents`: the bills' PDFs, rendered before the server starts so that it has no backlog. */
export async function renderDocumentsCommand (env: NodeJS.ProcessEnv): Promise<RenderFigures> {
  const started = performance.now()
  const run = await runCliOrThrow(['render-documents'], env)
  const m = /rendered (\d+) documents/.exec(run.stdout)
  if (!m) throw unexpected('render-documents', run)
  const documents = num(m[1] ?? '')
  const ms = performance.now() - started
  return { documents, documentsPerSecond: documents / (ms / 1000), wallMs: run.wallMs, peakRssBytes: run.peakRssBytes }
}

function unexpected (command: string, run: CliRun): Error {
  return new Error(`unexpected output of tmfbill ${command}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`)
}

/**
 * On-demand bills end to end, one at a time: POST /customerBillOnDemand, then GET it every 2 ms until it
 * leaves `inProgress`. Each account has unbilled rates, so each request should end `done` with a bill.
 */
export async function measureOnDemand (api: string, accounts: string[]): Promise<OnDemandFigures> {
  const times: number[] = []
  let done = 0
  for (const accountId of accounts) {
    const started = performance.now()
    const res = await fetch(`${api}/customerBillOnDemand`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench on-demand bill', billingAccount: { id: accountId } })
    })
    const created = await res.json() as { id?: string; state?: string }
    if (res.status !== 201 || created.id === undefined) throw new Error(`POST customerBillOnDemand answered ${res.status}: ${JSON.stringify(created)}`)
    let state = created.state
    while (state === 'inProgress') {
      await sleep(2)
      const poll = await fetch(`${api}/customerBillOnDemand/${created.id}?fields=state`)
      state = (await poll.json() as { state?: string }).state
      if (performance.now() - started > 30_000) throw new Error(`on-demand request ${created.id} still ${state} after 30 s`)
    }
    times.push(performance.now() - started)
    if (state === 'done') done++
  }
  return {
    requests: accounts.length,
    done,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: Math.max(...times)
  }
}
