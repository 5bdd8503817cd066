import type { Database, Statement } from 'better-sqlite3'
import type { SqliteDatabase } from 'kysely'

/**
 * better-sqlite3 behind Kysely prepares every query afresh, and preparing costs more than running
 * a small query. Kysely emits the same SQL text for the same query shape (values are bound), so
 * keeping prepared statements by their text removes that cost. SQLite re-prepares a cached
 * statement itself after a schema change. A statement being iterated (Kysely's stream()) is busy,
 * so streams get a fresh one.
 */
export function cachingStatements(database: Database, maxEntries = 500): SqliteDatabase {
  const cache = new Map<string, Statement>()
  return {
    close: () => {
      cache.clear()
      database.close()
    },
    prepare(sqlText: string) {
      let statement = cache.get(sqlText)
      if (statement?.busy) return database.prepare(sqlText)
      if (!statement) {
        statement = database.prepare(sqlText)
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!)
        cache.set(sqlText, statement)
      }
      return statement
    },
  }
}
