import type { Db } from './database.ts'

/**
 * Next value of a gap-free counter. Call it inside the transaction that uses the value: a rollback gives the
 * number back, and on PostgreSQL the row lock serialises concurrent takers until they commit.
 */
export async function nextSequenceValue (db: Db, name: string): Promise<number> {
  await db.insertInto('sequence').values({ name, value: 0 }).onConflict((oc) => oc.column('name').doNothing()).execute()
  const row = await db.updateTable('sequence').set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name).returning('value').executeTakeFirstOrThrow()
  return Number(row.value)
}
