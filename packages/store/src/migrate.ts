import { Migrator, SqliteAdapter, sql, type Kysely, type Migration } from 'kysely'

/**
 * Applies a service's migrations in the order of their names (`0001-initial`, `0002-…`). The
 * list is a static map, not a folder scan, so what runs is what the code imports. Returns the
 * names it applied (empty when already up to date). A failing run applies nothing.
 */
export async function migrate<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return migrateToLatest(db, migrations)
  // Kysely runs SQLite migrations outside any transaction, so a failing one would leave half
  // its DDL behind, and its SQLite migration lock is a no-op. One BEGIN IMMEDIATE around the
  // whole run makes it all-or-nothing and serializes processes migrating the same file.
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn)
    try {
      const applied = await migrateToLatest(conn, migrations)
      await sql`commit`.execute(conn)
      return applied
    } catch (error) {
      // SQLite may already have rolled back (e.g. disk full); the original error matters more.
      await sql`rollback`.execute(conn).catch(() => undefined)
      throw error
    }
  })
}

async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error })
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
