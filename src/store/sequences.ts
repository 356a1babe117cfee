import type { Db } from './database.ts'

/**
 * Next value of a gap-free counter. Call it inside the transaction that uses the value: a rollback gives the
 * number back, and on PostgreSQL the row lock serialises concurrent takers until they commit.
 */
export async function nextSequenceValue (db: Db, name: string): Promise<number> {
  // One statement: the first taker creates the counter at 1, later ones increment it (and lock its row).
  const row = await db.insertInto('sequence').values({ name, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('sequence.value', '+', 1) })))
    .returning('value').executeTakeFirstOrThrow()
  return Number(row.value)
}
