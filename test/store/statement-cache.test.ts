import { test } from 'node:test'
import assert from 'node:assert/strict'
import SQLite from 'better-sqlite3'
import { withStatementCache } from '../../src/store/statement-cache.ts'

function database () {
  const sqlite = new SQLite(':memory:')
  sqlite.exec('create table t (id integer primary key, v text)')
  return { sqlite, db: withStatementCache(sqlite, 2) }
}

test('a repeated query reads the rows as they are now, not as they were when it was first prepared', () => {
  const { db } = database()
  db.prepare('insert into t (v) values (?)').run(['a'])
  assert.deepEqual(db.prepare('select v from t order by id').all([]), [{ v: 'a' }])
  db.prepare('insert into t (v) values (?)').run(['b'])
  assert.deepEqual(db.prepare('select v from t order by id').all([]), [{ v: 'a' }, { v: 'b' }])
})

test('the same query can run while an earlier run of it is still being iterated', () => {
  const { db } = database()
  for (const v of ['a', 'b']) db.prepare('insert into t (v) values (?)').run([v])
  const seen: string[] = []
  for (const row of db.prepare('select v from t order by id').iterate([]) as Iterable<{ v: string }>) {
    const inner = db.prepare('select v from t order by id').all([]) as { v: string }[]
    seen.push(`${row.v}:${inner.length}`)
  }
  assert.deepEqual(seen, ['a:2', 'b:2'])
})

test('queries beyond the capacity still run, and a change of schema does not break a kept statement', () => {
  const { db, sqlite } = database()
  for (let i = 0; i < 5; i++) assert.deepEqual(db.prepare(`select ${i} as n`).all([]), [{ n: i }])
  const count = 'select count(*) as n from t'
  assert.deepEqual(db.prepare(count).all([]), [{ n: 0 }])
  sqlite.exec('alter table t add column w text')
  db.prepare('insert into t (v, w) values (?, ?)').run(['a', 'b'])
  assert.deepEqual(db.prepare(count).all([]), [{ n: 1 }])
})
