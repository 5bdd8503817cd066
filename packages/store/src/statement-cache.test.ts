import { test } from 'node:test'
import assert from 'node:assert/strict'
import SQLite from 'better-sqlite3'
import { cachingStatements } from './statement-cache.js'

test('the same SQL text gets the same prepared statement, and a schema change still works', () => {
  const raw = new SQLite(':memory:')
  const db = cachingStatements(raw)
  db.prepare('create table t (a integer)').run([])
  const insert = db.prepare('insert into t (a) values (?)')
  assert.equal(db.prepare('insert into t (a) values (?)'), insert)
  insert.run([1])
  db.prepare('alter table t add column b text').run([])
  db.prepare('insert into t (a) values (?)').run([2])
  assert.deepEqual(db.prepare('select a, b from t order by a').all([]), [
    { a: 1, b: null },
    { a: 2, b: null },
  ])
  db.close()
})

test('a statement busy iterating is not handed out again, and the cache is bounded', () => {
  const raw = new SQLite(':memory:')
  const db = cachingStatements(raw, 2)
  db.prepare('create table t (a integer)').run([])
  for (const a of [1, 2, 3]) db.prepare('insert into t (a) values (?)').run([a])
  const select = db.prepare('select a from t order by a')
  const seen: number[] = []
  for (const row of select.iterate([]) as Iterable<{ a: number }>) {
    // A nested use of the same SQL while the outer one iterates must not fail.
    seen.push(row.a, db.prepare('select a from t order by a').all([]).length)
  }
  assert.deepEqual(seen, [1, 3, 2, 3, 3, 3])
  db.prepare('select 1').all([])
  db.prepare('select 2').all([])
  assert.notEqual(db.prepare('select a from t order by a'), select, 'evicted after two newer')
  db.close()
})
