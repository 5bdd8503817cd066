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

/**
 * Runs a write and turns a unique-constraint violation into the caller's error (usually a 409
 * naming the duplicate); every other failure passes through unchanged.
 */
export async function onUniqueViolation<T>(work: Promise<T>, conflict: () => Error): Promise<T> {
  try {
    return await work
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict()
    throw error
  }
}
