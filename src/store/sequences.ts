import type { Db } from './database.ts'

/**
 * Takes `count` consecutive values of a gap-free counter at once and returns the first of them. Call it inside
 * the transaction that uses the values: a rollback gives them back, and on PostgreSQL the row lock serialises
 * concurrent takers until they commit.
 */
export async function nextSequenceValues (db: Db, name: string, count: number): Promise<number> {
  // One statement: the first taker creates the counter at `count`, later ones increment it (and lock its row).
  const row = await db.insertInto('sequence').values({ name, value: count })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('sequence.value', '+', count) })))
    .returning('value').executeTakeFirstOrThrow()
  return Number(row.value) - count + 1
}
