import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase, type DatabaseHandle, type Dialect } from './open-database.js'

/** A throwaway database: `url` goes to `openDatabase`, `drop()` deletes it (idempotent). */
export interface TestDatabase {
  readonly url: string
  readonly drop: () => Promise<void>
}

export interface TestDialect {
  readonly name: Dialect
  /** Creates a fresh, empty database of this dialect. */
  readonly url: () => Promise<TestDatabase>
}

/** The environment variable holding an admin URL of the test PostgreSQL server. */
export const POSTGRES_URL_ENV = 'TRICIRCLE_TEST_POSTGRES_URL'

/**
 * The dialects DB tests run on: SQLite always, PostgreSQL when `TRICIRCLE_TEST_POSTGRES_URL`
 * is set. That URL's role needs CREATEDB: each `url()` call creates a uniquely named database
 * on that server. In CI (`CI` set) a missing URL throws, so PostgreSQL is never skipped silently.
 *
 * ```ts
 * for (const d of testDialects()) {
 *   describe(d.name, () => {
 *     test('…', async (t) => {
 *       const { db, close } = await openTestDatabase<DB>(d)
 *       t.after(close)
 *       await migrate(db, migrations)
 *     })
 *   })
 * }
 * ```
 * Start the local server with `export TRICIRCLE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh | tail -1)`.
 */
export function testDialects(
  // eslint-disable-next-line no-restricted-syntax -- a test helper reads the test run's environment
  env: NodeJS.ProcessEnv = process.env,
): TestDialect[] {
  const postgresUrl = env[POSTGRES_URL_ENV]
  const dialects: TestDialect[] = [{ name: 'sqlite', url: createSqliteDatabase }]
  if (postgresUrl) {
    dialects.push({ name: 'postgres', url: () => createPostgresDatabase(postgresUrl) })
  } else if (isCi(env.CI)) {
    throw new Error(
      `CI is set but ${POSTGRES_URL_ENV} is not: PostgreSQL tests must not be skipped in CI. ` +
        `Run: export ${POSTGRES_URL_ENV}=$(bash scripts/postgres.sh | tail -1)`,
    )
  }
  return dialects
}

/** Creates a fresh database of `dialect` and opens it; `close()` also drops the database. */
export async function openTestDatabase<DB>(dialect: TestDialect): Promise<DatabaseHandle<DB>> {
  const database = await dialect.url()
  const handle = openDatabase<DB>(database.url)
  return {
    ...handle,
    close: async () => {
      await handle.close()
      await database.drop()
    },
  }
}

function isCi(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

async function createSqliteDatabase(): Promise<TestDatabase> {
  // A directory, not just a file, so the -wal and -shm files go with it.
  const dir = await mkdtemp(join(tmpdir(), 'tricircle-store-'))
  return {
    url: `sqlite://${join(dir, 'test.db')}`,
    drop: () => rm(dir, { recursive: true, force: true }),
  }
}

async function createPostgresDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `tricircle_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  await runAdminSql(adminUrl, `CREATE DATABASE "${name}"`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    // FORCE ends connections a test left open (PostgreSQL 13+).
    drop: () => runAdminSql(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  }
}

async function runAdminSql(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
