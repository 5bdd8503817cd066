/** True for a unique-constraint violation on either dialect (SQLite or PostgreSQL `23505`). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown } | null
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === '23505'
  )
}

/** True for a foreign-key violation on either dialect (PostgreSQL `23503`). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: unknown } | null
  return e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e?.code === '23503'
}
