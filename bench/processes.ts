import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const WORK_DIR = join(ROOT, '.bench')
/** tmfbill as deployed: the compiled build (`npm run build`, which run.ts does first), without the TypeScript loader. */
const CLI = join(ROOT, 'dist/cli/main.js')
const GNU_TIME = '/usr/bin/time'

/** Environment of every tmfbill child: quiet logs, no scheduled bill run, nothing inherited that changes behaviour. */
export function childEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[key] !== undefined) env[key] = process.env[key]
  return { ...env, LOG_LEVEL: 'warn', BILL_RUN_SCHEDULE: 'off', ...extra }
}

/** Node's arguments for a script: TypeScript files (the harness's own helpers) go through tsx. */
function nodeArgs (profileName: string | undefined, script: string): string[] {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  if (profileName === undefined) return loader
  // One directory per process: Node writes one profile per thread there (the main thread's is the largest).
  const dir = join(WORK_DIR, 'profiles', `${profileName}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
  return ['--cpu-prof', '--cpu-prof-dir', dir, ...loader]
}

/** Compiles src/ into dist/ (`npm run build`) so that every tmfbill child runs the code of this checkout. */
export async function buildTmfbill (): Promise<void> {
  const run = await runNode([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], process.env)
  if (run.code !== 0) throw new Error(`npm run build failed:\n${(run.stdout + run.stderr).slice(-4000)}`)
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  wallMs: number
  /** Peak resident set size of the process (VmHWM), in bytes. */
  peakRssBytes: number | undefined
}

/**
 * Runs one `tmfbill` command as a child process, as an operator would, and measures its wall time and peak
 * RSS: GNU time's maximum resident set size when /usr/bin/time exists, otherwise VmHWM sampled from /proc.
 */
export async function runCli (args: string[], env: NodeJS.ProcessEnv, opts: { profileName?: string } = {}): Promise<CliRun> {
  const node = [...nodeArgs(opts.profileName, CLI), CLI, ...args]
  const timeFile = join(WORK_DIR, `time-${process.pid}-${Date.now()}.txt`)
  const useTime = existsSync(GNU_TIME)
  const child = useTime
    ? spawn(GNU_TIME, ['-f', '%M', '-o', timeFile, process.execPath, ...node], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, node, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const started = performance.now()
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const sampler = useTime ? undefined : sampleMemory(child.pid, 'VmHWM', 50)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c) => resolve(c))
  })
  const wallMs = performance.now() - started
  let peakRssBytes = sampler?.stop()
  if (useTime && existsSync(timeFile)) {
    const kb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop())
    if (Number.isFinite(kb) && kb > 0) peakRssBytes = kb * 1024
    rmSync(timeFile, { force: true })
  }
  return { code, stdout, stderr, wallMs, peakRssBytes }
}

/** Runs a command and fails with its output when it exits non-zero. */
export async function runCliOrThrow (args: string[], env: NodeJS.ProcessEnv, opts: { profileName?: string; okCodes?: number[] } = {}): Promise<CliRun> {
  const run = await runCli(args, env, opts)
  if (!(opts.okCodes ?? [0]).includes(run.code ?? -1)) {
    throw new Error(`tmfbill ${args.join(' ')} exited with ${run.code}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-4000)}`)
  }
  return run
}

/** Runs a TypeScript script of the harness in its own process and returns its standard output. */
export async function runScript (script: string, args: string[]): Promise<string> {
  const run = await runNode(['--import', 'tsx', script, ...args], childEnv({}))
  if (run.code !== 0) throw new Error(`${script} exited with ${run.code}: ${run.stderr.slice(-2000)}`)
  return run.stdout
}

/** Runs node with `args` to its end and collects its output. */
async function runNode (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  return { code, stdout, stderr }
}

/** Reads one `Vm…` line of /proc/<pid>/status, in bytes; undefined once the process is gone. */
export function readProcMemory (pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** CPU time (user + system) a process has used so far, in ms; undefined once it is gone. */
export function readProcCpuMs (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: the fields that follow it start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

export interface MemorySampler {
  /** Highest value seen so far. */
  max(): number | undefined
  /** Stops sampling and returns the highest value seen. */
  stop(): number | undefined
}

/** Samples a process's memory every `everyMs` and keeps the maximum. */
export function sampleMemory (pid: number | undefined, field: 'VmRSS' | 'VmHWM', everyMs = 100): MemorySampler {
  let max: number | undefined
  const sample = () => {
    if (pid === undefined) return
    const v = readProcMemory(pid, field)
    if (v !== undefined && (max === undefined || v > max)) max = v
  }
  sample()
  const timer = setInterval(sample, everyMs)
  timer.unref()
  return {
    max: () => max,
    stop: () => {
      clearInterval(timer)
      sample()
      return max
    }
  }
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  url: string
  pid: number
  logFile: string
  stop(): Promise<void>
}

/**
 * Starts a long-running child (`tmfbill serve` or the baseline server) on a free loopback port and waits
 * until `readyPath` answers 200. Its output goes to a log file under .bench/logs.
 */
export async function startServerProcess (name: string, script: string, args: string[], env: NodeJS.ProcessEnv,
  opts: { port: number; readyPath: string; profileName?: string }): Promise<ServerProcess> {
  const logDir = join(WORK_DIR, 'logs')
  mkdirSync(logDir, { recursive: true })
  const logFile = join(logDir, `${name}-${Date.now()}.log`)
  const log = createWriteStream(logFile)
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs(opts.profileName, script), script, ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let gone = false
  void exited.then(() => { gone = true })
  const url = `http://127.0.0.1:${opts.port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (gone) throw new Error(`${name} exited before it was ready; see ${logFile}`)
    try {
      const res = await fetch(url + opts.readyPath)
      await res.arrayBuffer()
      if (res.ok) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${name} did not answer ${opts.readyPath} within 60 s; see ${logFile}`)
    }
    await sleep(100)
  }
  return {
    url,
    pid: child.pid ?? -1,
    logFile,
    stop: async () => {
      if (gone) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
      log.end()
    }
  }
}

export function cliScript (): string {
  return CLI
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
