import { rmSync } from 'node:fs'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import type { StoreKind } from './options.ts'
import { sleep, WORK_DIR } from './processes.ts'

/** A database of the run's own: a new SQLite file, or a new PostgreSQL schema `bench_<tag>`. */
export interface BenchDatabase {
  kind: StoreKind
  /** DATABASE_URL for the tmfbill processes. */
  url: string
  /** A number read by SQL (the harness checks progress and quiet in the database, not through the API). */
  count(sql: string): Promise<number>
  /** Store engine and version, for the report. */
  version(): Promise<string>
  /** Size on disk of the data (SQLite file, PostgreSQL schema). */
  sizeBytes(): Promise<number>
  /**
   * What a production database does by itself after bulk writes: on a PostgreSQL whose autovacuum is off (as
   * on a test cluster), VACUUM (ANALYZE) of the run's tables. Returns the time it took, 0 when nothing was needed.
   */
  maintain(): Promise<number>
  dispose(keep: boolean): Promise<void>
}

export function openBenchDatabase (kind: StoreKind, tag: string, postgresUrl: string): BenchDatabase {
  return kind === 'sqlite' ? sqliteDatabase(tag) : postgresDatabase(tag, postgresUrl)
}

function sqliteDatabase (tag: string): BenchDatabase {
  const file = join(WORK_DIR, 'db', `bench-${tag}.db`)
  let reader: SQLite.Database | undefined
  const open = () => (reader ??= new SQLite(file, { readonly: true, fileMustExist: true }))
  return {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    count: async (sql) => Number(Object.values(open().prepare(sql).get() as Record<string, unknown>)[0]),
    version: async () => `SQLite ${String((open().prepare('select sqlite_version() as v').get() as { v: string }).v)} (better-sqlite3, WAL)`,
    sizeBytes: async () => {
      const db = open()
      const pages = Number((db.prepare('pragma page_count').get() as { page_count: number }).page_count)
      const size = Number((db.prepare('pragma page_size').get() as { page_size: number }).page_size)
      return pages * size
    },
    maintain: async () => 0,
    dispose: async (keep) => {
      reader?.close()
      reader = undefined
      if (!keep) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
    }
  }
}

function postgresDatabase (tag: string, baseUrl: string): BenchDatabase {
  const schema = `bench_${tag}`
  const url = new URL(baseUrl)
  url.searchParams.set('schema', schema)
  const connection = new URL(baseUrl)
  connection.searchParams.delete('schema')
  let client: pg.Client | undefined
  const connect = async () => {
    if (!client) {
      client = new pg.Client({ connectionString: connection.toString(), options: `-c search_path=${schema}` })
      await client.connect()
    }
    return client
  }
  return {
    kind: 'postgres',
    url: url.toString(),
    count: async (sql) => Number(Object.values((await (await connect()).query(sql)).rows[0] as Record<string, unknown>)[0]),
    version: async () => `PostgreSQL ${String(((await (await connect()).query('show server_version')).rows[0] as { server_version: string }).server_version)}`,
    sizeBytes: async () => Number(((await (await connect()).query(
      'select coalesce(sum(pg_total_relation_size(c.oid)), 0) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = \'r\'',
      [schema])).rows[0] as { n: string }).n),
    maintain: async () => {
      const c = await connect()
      const autovacuum = ((await c.query('show autovacuum')).rows[0] as { autovacuum: string }).autovacuum
      if (autovacuum === 'on') return 0
      const started = performance.now()
      const tables = (await c.query('select tablename from pg_tables where schemaname = $1', [schema])).rows as { tablename: string }[]
      for (const t of tables) await c.query(`VACUUM (ANALYZE) "${schema}"."${t.tablename}"`)
      return performance.now() - started
    },
    dispose: async (keep) => {
      const c = await connect()
      if (!keep) await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await c.end()
      client = undefined
    }
  }
}

/**
 * Waits until the server has no background work left from the data preparation: every outbox event
 * fanned out, no on-demand request pending, every bill document rendered. Measurements start after this,
 * so they measure the API and not a backlog.
 */
export async function waitForQuiet (db: BenchDatabase, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const outbox = await db.count('select count(*) as n from event_outbox where fanned_out_at is null')
    const onDemand = await db.count("select count(*) as n from customer_bill_on_demand where state = 'inProgress'")
    const documents = await db.count('select count(*) as n from bill_document where rendered_at is null')
    if (outbox === 0 && onDemand === 0 && documents === 0) return
    if (Date.now() > deadline) {
      throw new Error(`server still busy after ${timeoutMs / 1000} s: ${outbox} events to fan out, ${onDemand} on-demand requests, ${documents} documents`)
    }
    await sleep(250)
  }
}
