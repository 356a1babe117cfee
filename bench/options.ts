import { parseArgs } from 'node:util'

export type StoreKind = 'sqlite' | 'postgres'
export type SizeName = 'small' | 'full'
export type Suite = 'engine' | 'http' | 'events'
export type ProfiledCommand = 'import' | 'bill-run' | 'serve'

/** How much data a run prepares and how long each measurement lasts. */
export interface SizeSpec {
  name: SizeName
  /** Rates of the main import, all dated in the last closed period, so the bill run bills every one. */
  rates: number
  accounts: number
  /** Rates imported after the bill run: the unbilled ones the list and on-demand cases need. */
  extraRates: number
  extraAccounts: number
  /** Seconds of each autocannon case (after its warm-up). */
  duration: number
  warmup: number
  onDemandRequests: number
  /** State changes made for the event-delivery measurement (each one is one event). */
  events: number
}

export const SIZES: Record<SizeName, SizeSpec> = {
  small: {
    name: 'small', rates: 20_000, accounts: 2_000, extraRates: 2_000, extraAccounts: 200,
    duration: 5, warmup: 1, onDemandRequests: 50, events: 500
  },
  full: {
    name: 'full', rates: 1_000_000, accounts: 100_000, extraRates: 20_000, extraAccounts: 2_000,
    duration: 10, warmup: 2, onDemandRequests: 50, events: 2_000
  }
}

export interface BenchOptions {
  stores: StoreKind[]
  size: SizeSpec
  suites: Set<Suite>
  connections: number[]
  /** Base PostgreSQL URL; each run works in a fresh schema of it and drops it afterwards. */
  postgresUrl: string
  /** Where the report goes (BENCHMARKS.md at the repository root by default). */
  out: string
  /** Commands to run under `node --cpu-prof` (profiles land in .bench/profiles). */
  profile: Set<ProfiledCommand>
  /** Keep the SQLite files and PostgreSQL schemas afterwards (for poking at them). */
  keep: boolean
  argv: string[]
}

const USAGE = `npm run bench -- [options]

  --store sqlite|postgres|both   store(s) to measure (default sqlite)
  --size small|full              small: 20,000 rates / 2,000 accounts (a few minutes);
                                 full: 1,000,000 rates / 100,000 accounts (default small)
  --only engine,http,events      suites to run (default all; the data is always prepared)
  --duration <seconds>           length of each HTTP case (default 5 small, 10 full)
  --connections 1,32             autocannon connection counts (default 1,32)
  --postgres-url <url>           default $BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test
  --out <file>                   report file (default BENCHMARKS.md)
  --profile import,bill-run,serve  write CPU profiles of those processes to .bench/profiles
  --keep                         keep the databases afterwards
  --help`

function list<T extends string> (value: string, allowed: readonly T[], what: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`unknown ${what} '${item}'; use ${allowed.join(', ')}`)
  }
  return items as T[]
}

function positiveInt (value: string, what: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got '${value}'`)
  return n
}

/** Parses the command line; prints the usage and exits on --help or a bad option. */
export function parseOptions (argv: string[]): BenchOptions {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        store: { type: 'string', default: 'sqlite' },
        size: { type: 'string', default: 'small' },
        only: { type: 'string', default: 'engine,http,events' },
        duration: { type: 'string' },
        connections: { type: 'string', default: '1,32' },
        'postgres-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
        out: { type: 'string', default: 'BENCHMARKS.md' },
        profile: { type: 'string', default: '' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false }
      }
    }).values
    if (values.help) {
      console.log(USAGE)
      process.exit(0)
    }
    const stores = values.store === 'both' ? ['sqlite', 'postgres'] as StoreKind[] : list(values.store, ['sqlite', 'postgres'] as const, 'store')
    const [sizeName] = list(values.size, ['small', 'full'] as const, 'size')
    const base = SIZES[sizeName ?? 'small']
    const size = values.duration !== undefined ? { ...base, duration: positiveInt(values.duration, '--duration') } : base
    return {
      stores,
      size,
      suites: new Set(list(values.only, ['engine', 'http', 'events'] as const, 'suite')),
      connections: values.connections.split(',').map((c) => positiveInt(c.trim(), '--connections')),
      postgresUrl: values['postgres-url'],
      out: values.out,
      profile: new Set(list(values.profile, ['import', 'bill-run', 'serve'] as const, 'profiled command')),
      keep: values.keep,
      argv
    }
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
}
