import type { Db } from './database.ts'

/**
 * Takes or renews a named lease until `expiresAt`. Returns true when `holder` owns it afterwards. Several
 * server processes over one database use this so that a periodic job (the bill-run scheduler) runs on one
 * node at a time; a crashed holder's lease simply expires.
 */
export async function acquireLease (db: Db, name: string, holder: string, now: Date, expiresAt: Date): Promise<boolean> {
  const row = await db.insertInto('lease').values({ name, holder, expires_at: expiresAt.toISOString() })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, expires_at: expiresAt.toISOString() })
      .where((eb) => eb.or([eb('lease.expires_at', '<', now.toISOString()), eb('lease.holder', '=', holder)])))
    .returning('holder').executeTakeFirst()
  return row?.holder === holder
}

export async function releaseLease (db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('lease').where('name', '=', name).where('holder', '=', holder).execute()
}
