import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openStore, type Store } from '../../src/store/database.ts'

export type StoreKind = 'sqlite' | 'postgres'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

let pgReachable: Promise<boolean> | undefined

/** Whether the test PostgreSQL answers; the PostgreSQL half of the suite runs only then (CI starts it). */
export function postgresAvailable (): Promise<boolean> {
  pgReachable ??= (async () => {
    if (process.env.TEST_POSTGRES === 'off') return false
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 })
    try {
      await client.connect()
      await client.query('select 1')
      return true
    } catch {
      return false
    } finally {
      await client.end().catch(() => {})
    }
  })()
  return pgReachable
}

/** The stores the suites loop over: SQLite always, PostgreSQL when reachable (or required by TEST_POSTGRES=on). */
export async function storeKinds (): Promise<StoreKind[]> {
  if (process.env.TEST_POSTGRES === 'on') return ['sqlite', 'postgres']
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite']
}

/** A database URL of its own for one test: a fresh SQLite file-less store or a fresh PostgreSQL schema. */
export function freshDatabaseUrl (kind: StoreKind): string {
  if (kind === 'sqlite') return 'sqlite::memory:'
  const url = new URL(TEST_DATABASE_URL)
  url.searchParams.set('schema', `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`)
  return url.toString()
}

/** Opens a migrated store of the given kind; `dispose` drops the PostgreSQL schema. */
export async function openTestStore (kind: StoreKind, url = freshDatabaseUrl(kind)): Promise<Store & { url: string; dispose(): Promise<void> }> {
  const store = await openStore(url)
  return Object.assign(store, {
    url,
    async dispose () {
      await store.close()
      await dropSchemaOf(url)
    }
  })
}

export async function dropSchemaOf (url: string): Promise<void> {
  if (!url.startsWith('postgres')) return
  const schema = new URL(url).searchParams.get('schema')
  if (!schema) return
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
