import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/server.ts'

/** The repository root: children run `node --import tsx src/cli/main.ts …` from there, as an operator would. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = 'src/cli/main.ts'

/** The environment of a child: the test's own, minus what node:test sets for its workers. */
function childEnv (env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ...env }
  delete out.NODE_TEST_CONTEXT
  return out
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs one `tmfbill` command to completion. */
export function runCli (args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tmfbill ${args.join(' ')} took over ${timeoutMs} ms`)) }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

export interface ServerProcess {
  url: string
  api: string
  pid: number
  /** Everything written to stdout so far (pino JSON lines). */
  output(): string
  /** SIGTERM, then wait for the exit (the server shuts down gracefully). */
  stop(): Promise<number | null>
}

/** Starts `tmfbill serve` on a free port and resolves once it answers HTTP. */
export async function startServerProcess (env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve'], {
    cwd: ROOT,
    env: childEnv({ HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, ...env }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const api = `${url}/tmf-api/customerBillManagement/v4`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tmfbill serve exited with ${child.exitCode}: ${err}${out}`)
    try {
      if ((await fetch(`${api}/hub`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`tmfbill serve did not answer within 30 s: ${err}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    api,
    pid: child.pid ?? -1,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(timer)
      return code
    }
  }
}

/** pino JSON lines of a server's output, the non-JSON ones left out. */
export function logLines (output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return []
    try {
      return [JSON.parse(line) as Record<string, unknown>]
    } catch {
      return []
    }
  })
}
