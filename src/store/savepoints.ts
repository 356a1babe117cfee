import { sql, type Transaction } from 'kysely'
import type { Database } from './types.ts'

/**
 * Runs `fn` inside a savepoint of `trx`: if it throws, everything it wrote is undone and the transaction
 * goes on as before it started (on PostgreSQL it is usable again after an error). Same SQL on both stores.
 */
export async function withSavepoint<T> (trx: Transaction<Database>, name: string, fn: () => Promise<T>): Promise<T> {
  const id = sql.id(name)
  await sql`savepoint ${id}`.execute(trx)
  try {
    const result = await fn()
    await sql`release savepoint ${id}`.execute(trx)
    return result
  } catch (err) {
    await sql`rollback to savepoint ${id}`.execute(trx)
    await sql`release savepoint ${id}`.execute(trx)
    throw err
  }
}
