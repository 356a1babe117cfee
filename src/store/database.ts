import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { CompiledQuery, type Driver, Kysely, type KyselyConfig, PostgresAdapter, PostgresDialect, SqliteDialect, type Transaction } from 'kysely'
import { ConfigError } from '../config.ts'
import { type DialectCapabilities, postgresCapabilities, sqliteCapabilities } from './dialect.ts'
import { migrate } from './migrate.ts'
import { registerSqliteFunctions } from './query-sql.ts'
import { withStatementCache } from './statement-cache.ts'
import type { Database } from './types.ts'

export type Db = Kysely<Database> | Transaction<Database>

export interface Store {
  readonly db: Kysely<Database>
  readonly dialect: DialectCapabilities
  /** Runs `fn` in one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface OpenStoreOptions {
  /** Apply pending migrations while opening (the server and CLI do; `tmfbill migrate` does it explicitly). */
  migrate?: boolean
  /** Pool size for PostgreSQL; the URL's `pool` parameter, else 10. */
  poolSize?: number
  /** Kysely's query log (scripts/explain-plans.ts records the SQL the API issues with it). */
  log?: KyselyConfig['log']
  /** Told when PostgreSQL drops an idle pooled connection (restart, failover); default: one line on stderr. */
  onConnectionError?: (err: Error) => void
}

const DEFAULT_POOL_SIZE = 10

/**
 * `DATABASE_URL` forms: `sqlite:./data/tmfbill.db`, `sqlite::memory:`, a plain file path, or
 * `postgres://user@host:5432/db[?schema=name][&pool=20]` (docs/postgresql.md): `schema` puts every table in
 * that schema, which the test suite uses to isolate runs; `pool` is the number of connections of one process.
 */
export async function openStore (url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const store = isPostgresUrl(url) ? openPostgres(url, options) : openSqlite(url, options)
  if (options.migrate !== false) {
    try {
      await migrate(store.db, store.dialect.name, schemaOf(url))
    } catch (err) {
      await store.close()
      throw err
    }
  }
  return store
}

/** Applies pending migrations to the database at `url` (`tmfbill migrate`); returns the names applied. */
export async function migrateStore (url: string): Promise<string[]> {
  const store = await openStore(url, { migrate: false, poolSize: 1 })
  try {
    return await migrate(store.db, store.dialect.name, schemaOf(url))
  } finally {
    await store.close()
  }
}

function isPostgresUrl (url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url)
}

function openSqlite (url: string, options: OpenStoreOptions): Store {
  const file = url.replace(/^sqlite:(\/\/)?/, '')
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  // NOTE: NORMAL in WAL mode keeps every commit atomic and durable across a process crash (SIGKILL);
  // only an OS crash or power loss can lose the last transactions.
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  registerSqliteFunctions(sqlite)
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }), ...(options.log ? { log: options.log } : {}) })
  return {
    db,
    dialect: sqliteCapabilities,
    transaction: (fn) => db.transaction().execute(fn),
    close: () => db.destroy()
  }
}

/**
 * SQLite transactions that BEGIN IMMEDIATE: they take the write lock at the start, waiting for it up to
 * `busy_timeout`. A plain (deferred) BEGIN reads first and fails with SQLITE_BUSY_SNAPSHOT at its first write
 * when another process (`tmfbill bill-run` beside `tmfbill serve`) committed meanwhile. In one process
 * nothing changes: kysely runs every SQLite query on one connection, one at a time.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver (): Driver {
    const driver = super.createDriver()
    driver.beginTransaction = async (connection) => { await connection.executeQuery(CompiledQuery.raw('begin immediate')) }
    return driver
  }
}

function openPostgres (url: string, options: OpenStoreOptions): Store {
  const parsed = new URL(url)
  const schema = schemaOf(url)
  const poolSize = options.poolSize ?? poolSizeOf(parsed.searchParams.get('pool')) ?? DEFAULT_POOL_SIZE
  parsed.searchParams.delete('schema')
  parsed.searchParams.delete('pool')
  const types = {
    getTypeParser: (oid: number, format?: any) => {
      if (oid === 20) return (v: string) => Number(v) // int8: counts and sequences fit in a double
      if (oid === 1184 || oid === 1114) return parsePgTimestamp
      return pg.types.getTypeParser(oid, format)
    }
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: poolSize,
    types,
    // Shows up in pg_stat_activity, so an operator can tell tmfbill's connections from others.
    application_name: 'tmfbill',
    ...(schema ? { options: `-c search_path=${schema}` } : {})
  })
  // NOTE: without a listener, an idle connection that PostgreSQL drops (restart, failover, pg_terminate_backend)
  // is an unhandled 'error' event that kills the process. The pool discards that connection and opens another.
  pool.on('error', options.onConnectionError ?? ((err) => console.error(`PostgreSQL dropped an idle connection: ${err.message}`)))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(options.log ? { log: options.log } : {}) })
  return {
    db,
    dialect: postgresCapabilities,
    transaction: (fn) => db.transaction().execute(fn),
    close: () => db.destroy()
  }
}

/** PostgreSQL prints `2026-11-27 02:23:41.317+00`; the domain works with ISO-8601 UTC strings. */
function parsePgTimestamp (v: string): string {
  let iso = v.replace(' ', 'T')
  if (/[+-]\d\d$/.test(iso)) iso += ':00'
  else if (!/(Z|[+-]\d\d:\d\d)$/.test(iso)) iso += 'Z'
  return new Date(iso).toISOString()
}

function poolSizeOf (value: string | null): number | undefined {
  if (value === null) return undefined
  if (!/^[1-9]\d{0,3}$/.test(value)) throw new ConfigError(`Invalid pool size "${value}" in DATABASE_URL: a whole number from 1 to 9999`)
  return Number(value)
}

function schemaOf (url: string): string | undefined {
  if (!isPostgresUrl(url)) return undefined
  const schema = new URL(url).searchParams.get('schema') ?? undefined
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new ConfigError(`Invalid schema name "${schema}" in DATABASE_URL`)
  return schema
}

/** A unique constraint refused the write (SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL 23505). */
export function isUniqueViolation (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** JSON columns come back as text from SQLite and parsed from PostgreSQL. */
export function readJson<T> (value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export function writeJson (value: unknown): string {
  return JSON.stringify(value)
}

/** Whether `db` talks to PostgreSQL (for the few statements written differently per store). */
export function isPostgres (db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * A query built and compiled once per Kysely instance or transaction, then run again with new parameters: for
 * hot paths, where kysely's building and compiling of the same query cost as much CPU as the database's work.
 */
export function reusableQuery<R> (build: (db: Db) => { compile(): CompiledQuery<R> }): (db: Db, parameters: readonly unknown[]) => CompiledQuery<R> {
  const compiled = new WeakMap<Db, CompiledQuery<R>>()
  return (db, parameters) => {
    let template = compiled.get(db)
    if (template === undefined) {
      template = build(db).compile()
      compiled.set(db, template)
    }
    return { ...template, parameters }
  }
}
