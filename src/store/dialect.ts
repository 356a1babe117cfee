/**
 * What differs between the two stores, kept in one small adapter (kysely's capability-flag style).
 * Everything else in src/store is dialect-neutral kysely.
 */
export type DialectName = 'sqlite' | 'postgres'

export interface DialectCapabilities {
  readonly name: DialectName
  /** `SELECT … FOR UPDATE SKIP LOCKED` exists (PostgreSQL). SQLite has one writer, so it needs none. */
  readonly supportsSkipLocked: boolean
  /** Session/transaction advisory locks (PostgreSQL `pg_try_advisory_xact_lock`). */
  readonly supportsAdvisoryLocks: boolean
}

export const sqliteCapabilities: DialectCapabilities = {
  name: 'sqlite',
  supportsSkipLocked: false,
  supportsAdvisoryLocks: false
}

export const postgresCapabilities: DialectCapabilities = {
  name: 'postgres',
  supportsSkipLocked: true,
  supportsAdvisoryLocks: true
}
