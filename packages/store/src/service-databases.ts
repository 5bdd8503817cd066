import pg from 'pg'

/**
 * The database URL a service uses when a whole cloud shares one database URL: SQLite gives
 * each service its own file beside the others' (`<dir>/<service>.db`), PostgreSQL its own
 * database on the same server (`<db>_<service>`, created when missing), since services' table
 * names overlap (`quotas`, …).
 */
export async function serviceDatabaseUrl(sharedUrl: string, service: string): Promise<string> {
  const name = service.toLowerCase().replace(/[^a-z0-9]+/g, '_')
  if (!/^postgres(ql)?:/.test(sharedUrl)) throw new Error(`not a PostgreSQL URL: ${sharedUrl}`)
  const url = new URL(sharedUrl)
  const base = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'tricircle'
  const database = `${base}_${name}`
  const client = new pg.Client({ connectionString: sharedUrl })
  await client.connect()
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`)
  } finally {
    await client.end()
  }
  url.pathname = `/${database}`
  return url.toString()
}
