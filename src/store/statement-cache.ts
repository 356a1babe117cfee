import type BetterSqlite3 from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

/**
 * The database handle given to kysely's SQLite dialect, keeping compiled statements by SQL text.
 * Kysely asks for `prepare(sql)` on every query and better-sqlite3 compiles the SQL each time: a profile of a
 * bill run and of GET customerBill/{id} put 7–18 % of the time in `prepare` alone, for the same few dozen
 * statements over and over. A statement still being iterated (a streamed select) is never handed out twice:
 * such a caller gets a fresh one. Bounded: the least recently used statement goes first.
 */
export function withStatementCache (sqlite: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>()
  return {
    prepare (sql: string): SqliteStatement {
      const cached = cache.get(sql)
      if (cached !== undefined && !cached.busy) {
        // Re-inserting keeps the Map in least-recently-used order.
        cache.delete(sql)
        cache.set(sql, cached)
        return cached
      }
      const statement = sqlite.prepare(sql)
      if (cached === undefined) {
        cache.set(sql, statement)
        if (cache.size > capacity) cache.delete(cache.keys().next().value as string)
      }
      return statement
    },
    close (): void {
      cache.clear()
      sqlite.close()
    }
  }
}
