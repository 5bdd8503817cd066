import pg from 'pg'

/**
 * Drops the databases `tricircle up --database-url URL` made on that server (one per service,
 * named `<URL's database>_<service>`), then the test database itself.
 */
export async function dropServiceDatabases(database: { url: string; drop: () => Promise<void> }) {
  const base = new URL(database.url).pathname.slice(1)
  const client = new pg.Client({ connectionString: database.url.replace(/\/[^/]*$/, '/postgres') })
  await client.connect()
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${base}\\_%`],
    )
    for (const { datname } of rows)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  } finally {
    await client.end()
  }
  await database.drop()
}
