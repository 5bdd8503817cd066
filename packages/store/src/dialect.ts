import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely'

/** Which engine a Kysely instance talks to, for the few DDL spots where they differ. */
export function dialectOf(db: Kysely<unknown>): 'sqlite' | 'postgres' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
}

/** An auto-incrementing integer primary key on either engine: `c => serialPrimaryKey(db, c)`. */
export function serialPrimaryKey(
  db: Kysely<unknown>,
  column: ColumnDefinitionBuilder,
): ColumnDefinitionBuilder {
  return dialectOf(db) === 'postgres'
    ? column.primaryKey().generatedByDefaultAsIdentity()
    : column.primaryKey().autoIncrement()
}
