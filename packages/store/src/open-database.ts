import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.js'
import { cachingStatements } from './statement-cache.js'

export type Dialect = 'sqlite' | 'postgres'

export interface DatabaseHandle<DB> {
  readonly db: Kysely<DB>
  readonly dialect: Dialect
  /** A property, not a method, so `const { db, close } = openDatabase(url)` is lint-clean. */
  readonly close: () => Promise<void>
}

/**
 * Opens a database from a URL:
 * - `sqlite:///abs/path.db`, `sqlite:relative.db`, `sqlite::memory:` — the embedded default;
 * - `postgres://user:pass@host:port/name` (or `postgresql://`).
 * SQLite runs in WAL mode with foreign keys on and a busy timeout, so several processes can
 * share one file.
 */
export function openDatabase<DB>(url: string): DatabaseHandle<DB> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    // An idle client that loses its connection (server restart, terminated backend) makes the
    // pool emit 'error'; with no listener that crashes the process. The pool has already
    // discarded the client, and the next query opens a new connection.
    pool.on('error', () => {})
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
    return { db, dialect: 'postgres', close: () => db.destroy() }
  }
  const path = sqlitePath(url)
  if (path !== ':memory:') {
    // A database holds secrets (the identity's signing key, password hashes): directories the
    // store makes are 0700 and a new file 0600, before SQLite creates it with the umask's mode
    // (its -wal and -shm files take the database file's mode).
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    closeSync(openSync(path, 'a', 0o600))
  }
  const database = new SQLite(path)
  database.pragma('journal_mode = WAL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  database.pragma('synchronous = NORMAL')
  const db = new Kysely<DB>({
    dialect: new SqliteDialect({ database: cachingStatements(database) }),
    plugins: [new SqliteBooleanPlugin()],
  })
  return { db, dialect: 'sqlite', close: () => db.destroy() }
}

function sqlitePath(url: string): string {
  if (url === 'sqlite::memory:' || url === ':memory:') return ':memory:'
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length)
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length)
  // Only the scheme is echoed: the rest of a URL may hold a password (even an unencoded '@').
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0]
  throw new Error(
    `unsupported database URL scheme ${scheme ? `"${scheme}"` : '(none)'}: expected sqlite:, postgres:// or postgresql://`,
  )
}
