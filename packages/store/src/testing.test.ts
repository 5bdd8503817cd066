import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname } from 'node:path'
import { describe, test } from 'node:test'
import pg from 'pg'
import { POSTGRES_URL_ENV, testDialects } from './testing.js'

const url = 'postgres://u:p@127.0.0.1:5432/admin'

describe('testDialects', () => {
  test('is SQLite only without a PostgreSQL URL', () => {
    assert.deepEqual(
      testDialects({}).map((d) => d.name),
      ['sqlite'],
    )
  })

  test('adds PostgreSQL when the URL is set', () => {
    assert.deepEqual(
      testDialects({ [POSTGRES_URL_ENV]: url }).map((d) => d.name),
      ['sqlite', 'postgres'],
    )
    assert.equal(testDialects({ CI: 'true', [POSTGRES_URL_ENV]: url }).length, 2)
  })

  test('throws in CI when the PostgreSQL URL is missing', () => {
    for (const ci of ['1', 'true']) {
      assert.throws(
        () => testDialects({ CI: ci }),
        /CI is set but TRICIRCLE_TEST_POSTGRES_URL is not/,
      )
    }
    assert.equal(testDialects({ CI: 'false' }).length, 1)
  })
})

for (const d of testDialects()) {
  describe(`${d.name}: test databases`, () => {
    test('each call gives a fresh database that drop() removes', async () => {
      const [a, b] = await Promise.all([d.url(), d.url()])
      assert.ok(a && b)
      assert.notEqual(a.url, b.url)
      assert.equal(await exists(d.name, a.url), true)
      await a.drop()
      await a.drop() // idempotent
      assert.equal(await exists(d.name, a.url), false)
      assert.equal(await exists(d.name, b.url), true)
      await b.drop()
    })
  })
}

async function exists(dialect: 'sqlite' | 'postgres', databaseUrl: string): Promise<boolean> {
  if (dialect === 'sqlite') {
    const path = databaseUrl.slice('sqlite://'.length)
    assert.ok(path.startsWith(tmpdir()), path)
    // The file itself appears on first open; the per-database directory exists from the start.
    return existsSync(dirname(path))
  }
  const name = new URL(databaseUrl).pathname.slice(1)
  const client = new pg.Client({ connectionString: databaseUrl.replace(/\/[^/]*$/, '/postgres') })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name])
    return rowCount === 1
  } finally {
    await client.end()
  }
}
