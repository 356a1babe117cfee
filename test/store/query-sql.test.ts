import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { parse } from 'node:querystring'
import { after, before, describe, test } from 'node:test'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { parseListQuery } from '../../src/api/query/parse-query.ts'
import { DomainError, ErrorCodes } from '../../src/domain/errors.ts'
import type { DialectName } from '../../src/store/dialect.ts'
import {
  applyFilters, applyListQuery, asQueryError, isInvalidRegexError, registerSqliteFunctions, type ResourceQueryMap
} from '../../src/store/query-sql.ts'
import { ALL_IDS, BILL_MAP, FILTER_CASES, SORT_CASES, createBillTable } from './query-fixtures.ts'

interface Target { name: DialectName; skip: string | false; open: () => Promise<Kysely<any>>; close: () => Promise<void> }

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function postgresUnreachable (): Promise<string | false> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.end()
    return false
  } catch (err) {
    return `PostgreSQL unreachable at ${PG_URL} (${(err as Error).message}); set TEST_DATABASE_URL to run this half`
  }
}

function sqliteTarget (): Target {
  let db: Kysely<any> | undefined
  return {
    name: 'sqlite',
    skip: false,
    open: async () => {
      const database = new SQLite(':memory:')
      registerSqliteFunctions(database)
      db = new Kysely<any>({ dialect: new SqliteDialect({ database }) })
      return db
    },
    close: async () => { await db?.destroy() }
  }
}

function postgresTarget (skip: string | false): Target {
  const schema = `qtest_${randomBytes(6).toString('hex')}`
  let db: Kysely<any> | undefined
  return {
    name: 'postgres',
    skip,
    open: async () => {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` })
      db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
      await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db)
      return db
    },
    close: async () => {
      if (!db) return
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db)
      await db.destroy()
    }
  }
}

const targets = [sqliteTarget(), postgresTarget(await postgresUnreachable())]

/** What a client gets back: the ids a list query selects, in order. */
async function idsFor (db: Kysely<any>, dialect: DialectName, querystring: string, map: ResourceQueryMap = BILL_MAP): Promise<string[]> {
  const query = parseListQuery(parse(querystring), { maxLimit: 1000 })
  const rows = await applyListQuery(db.selectFrom('customer_bill').select('id'), query, map, dialect).execute()
  return rows.map((row) => row.id as string)
}

for (const target of targets) {
  describe(`TMF630 filters and sort compiled for ${target.name}`, { skip: target.skip }, () => {
    let db: Kysely<any>
    const ids = (q: string, map?: ResourceQueryMap): Promise<string[]> => idsFor(db, target.name, q, map)

    before(async () => {
      db = await target.open()
      await createBillTable(db, target.name)
    })
    after(() => target.close())

    for (const [querystring, expected] of FILTER_CASES) {
      test(`?${querystring} selects ${expected.join(', ') || 'nothing'}`, async () => {
        assert.deepEqual(await ids(querystring), expected)
      })
    }

    for (const [querystring, expected] of SORT_CASES) {
      test(`?${querystring} orders ${expected.join(', ')}`, async () => {
        assert.deepEqual(await ids(querystring), expected)
      })
    }

    test('no query lists everything in id order', async () => {
      assert.deepEqual(await ids(''), ALL_IDS)
    })

    test('the default sort applies without sort=, with id as the tiebreaker', async () => {
      const map = { ...BILL_MAP, defaultSort: [{ column: 'bill_date', direction: 'desc' as const }] }
      assert.deepEqual(await ids('billDate=2024-01-05', map), ['CB-02', 'CB-01', 'CB-10'])
      assert.deepEqual(await ids('state=settled,onHold&sort=state', map), ['CB-05', 'CB-03', 'CB-08'])
    })

    test('the same WHERE serves the count query and the page query', async () => {
      const query = parseListQuery(parse('state=new,sent&offset=1&limit=2&sort=-billDate'), { maxLimit: 100 })
      const counted = await applyFilters(db.selectFrom('customer_bill'), query.filters, BILL_MAP, target.name)
        .select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
      const page = await applyListQuery(db.selectFrom('customer_bill').select('id'), query, BILL_MAP, target.name)
        .limit(query.limit ?? 100).offset(query.offset).execute()
      assert.equal(Number(counted.n), 6)
      assert.deepEqual(page.map((r) => r.id), ['CB-09', 'CB-07'])
    })

    test('a value that does not fit a typed column is a 400-type INVALID_QUERY naming the attribute', async () => {
      const cases = [['amountDue.value=abc', 'amountDue.value'], ['paperless=yes', 'paperless'],
        ['billDate=yesterday', 'billDate'], ['billDate.gt=2024-02-30', 'billDate'], ['paperless.gt=true', 'paperless'],
        ['amountDue.value.regex=1', 'amountDue.value']]
      for (const [q = '', attribute = ''] of cases) {
        await assert.rejects(ids(q), (err: unknown) => {
          assert.ok(err instanceof DomainError, q)
          assert.equal(err.code, ErrorCodes.INVALID_QUERY)
          assert.equal(err.reason, `Invalid query parameter '${attribute}'`)
          return true
        })
      }
    })

    test('injection attempts in values change nothing in the table', async () => {
      await ids("state=x'; DROP TABLE customer_bill; --")
      await ids("sort=-billDate&billingAccount.name=%27)%20OR%20(%271%27=%271")
      assert.deepEqual(await ids(''), ALL_IDS)
    })

    if (target.name === 'postgres') {
      test('a regex JavaScript accepts but PostgreSQL rejects becomes INVALID_QUERY via asQueryError', async () => {
        const err = await ids('billNo.regex=\\p{L}').then(() => undefined, (e: unknown) => e)
        assert.ok(isInvalidRegexError(err), `expected SQLSTATE 2201B, got ${String(err)}`)
        const mapped = asQueryError(err)
        assert.ok(mapped instanceof DomainError)
        assert.equal(mapped.code, ErrorCodes.INVALID_QUERY)
      })
    } else {
      test('the SQLite regexp() function answers 0 for a broken pattern instead of aborting the statement', async () => {
        const row = await sql<{ ok: number; bad: number }>`SELECT regexp('^B-', 'B-1') AS ok, regexp('(', 'x') AS bad`.execute(db)
        assert.deepEqual(row.rows[0], { ok: 1, bad: 0 })
      })
    }
  })
}

test('asQueryError leaves other errors alone', () => {
  const other = new Error('connection reset')
  assert.equal(asQueryError(other), other)
  assert.equal(isInvalidRegexError({ code: '23505' }), false)
})
