import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { sql } from 'kysely'
import { openDatabase } from './open-database.js'
import { openTestDatabase, testDialects } from './testing.js'

interface FlagTable {
  id: string
  enabled: boolean
  created_at: string
  attrs: string
}

interface DB {
  flag: FlagTable
}

for (const d of testDialects()) {
  describe(`${d.name}: openDatabase`, () => {
    test('opens a database of the right dialect that answers a query', async (t) => {
      const handle = await openTestDatabase<DB>(d)
      t.after(() => handle.close())
      assert.equal(handle.dialect, d.name)
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db)
      assert.equal(Number(rows[0]?.one), 1)
    })

    test('booleans, ISO-8601 text times and JSON text round-trip in the portable subset', async (t) => {
      const { db, close } = await openTestDatabase<DB>(d)
      t.after(close)
      await db.schema
        .createTable('flag')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('attrs', 'text', (c) => c.notNull())
        .execute()
      const createdAt = '2026-11-25T21:58:40.309Z'
      const attrs = JSON.stringify({ mtu: 1450, tags: ['a'] })
      await db
        .insertInto('flag')
        .values([
          { id: 'on', enabled: true, created_at: createdAt, attrs },
          { id: 'off', enabled: false, created_at: createdAt, attrs },
        ])
        .execute()
      await db.updateTable('flag').set({ enabled: true }).where('id', '=', 'off').execute()
      await db.updateTable('flag').set({ enabled: false }).where('id', '=', 'on').execute()

      const rows = await db.selectFrom('flag').selectAll().orderBy('id').execute()
      const mapped = rows.map((r) => ({ ...r, enabled: Boolean(r.enabled) }))
      assert.deepEqual(mapped, [
        { id: 'off', enabled: true, created_at: createdAt, attrs },
        { id: 'on', enabled: false, created_at: createdAt, attrs },
      ])
      assert.equal(new Date(rows[0]!.created_at).toISOString(), createdAt)
      assert.deepEqual(JSON.parse(rows[0]!.attrs), { mtu: 1450, tags: ['a'] })
      const enabled = await db.selectFrom('flag').select('id').where('enabled', '=', true).execute()
      assert.deepEqual(enabled, [{ id: 'off' }])
    })

    if (d.name === 'sqlite') {
      test('a SQLite file runs in WAL mode with foreign keys on and a busy timeout', async (t) => {
        const { db, close } = await openTestDatabase<DB>(d)
        t.after(close)
        const pragma = async (name: string) =>
          Object.values(
            (await sql.raw<Record<string, unknown>>(`PRAGMA ${name}`).execute(db)).rows[0] ?? {},
          )[0]
        assert.equal(await pragma('journal_mode'), 'wal')
        assert.equal(await pragma('foreign_keys'), 1)
        assert.equal(await pragma('busy_timeout'), 5000)
      })
    }

    if (d.name === 'postgres') {
      test('survives the server ending an idle pooled connection', async (t) => {
        const { db, close } = await openTestDatabase<DB>(d)
        t.after(close)
        // Two concurrent queries leave two idle clients in the pool; one ends the other.
        await Promise.all([sql`select pg_sleep(0.05)`.execute(db), sql`select 1`.execute(db)])
        const { rows: ended } = await sql<{ ended: boolean }>`
          select pg_terminate_backend(pid) as ended from pg_stat_activity
          where datname = current_database() and usename = current_user
            and backend_type = 'client backend' and pid <> pg_backend_pid()
        `.execute(db)
        assert.deepEqual(ended, [{ ended: true }])
        // Let the pool see the closed socket: with no 'error' listener that would kill the process.
        await delay(200)
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db)
        assert.equal(rows[0]?.one, 1)
      })
    }
  })
}

describe('openDatabase URL checks', () => {
  test('rejects an unknown URL scheme with a clear error that does not show the password', () => {
    for (const url of [
      'mysql://admin:s3cret@db.example/nova',
      'mysql://admin:p@ss@db.example/nova',
    ]) {
      assert.throws(
        () => openDatabase(url),
        (err: Error) => {
          assert.match(err.message, /unsupported database URL scheme "mysql:"/)
          assert.match(err.message, /sqlite:, postgres:\/\/ or postgresql:\/\//)
          assert.doesNotMatch(err.message, /s3cret|p@ss|ss@/)
          return true
        },
      )
    }
  })

  test('rejects a bare path that has no scheme', () => {
    assert.throws(() => openDatabase('/var/lib/tricircle/network.db'), /scheme \(none\)/)
  })
})

test('a new SQLite file is 0600 in new 0700 directories, its WAL too', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tricircle-store-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const path = join(root, 'a', 'b', 'x.db')
  const handle = openDatabase<DB>(`sqlite://${path}`)
  await sql`create table t (x integer)`.execute(handle.db)
  await sql`insert into t values (1)`.execute(handle.db)
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8)
  assert.equal(mode(path), '600')
  assert.equal(mode(`${path}-wal`), '600')
  assert.equal(mode(join(root, 'a')), '700')
  assert.equal(mode(join(root, 'a', 'b')), '700')
  await handle.close()
})
