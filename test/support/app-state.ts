/**
 * What the hostile-input suites (test/fuzz, test/isolation) read from an in-process service:
 * its routes, and its SQLite state before and after a request.
 */
import { sql, type Kysely } from '@tricircle/store'
import type { App } from '@tricircle/core'

/** One registered route: a method and its path pattern (`/v2.0/networks/:id`). */
export interface Route {
  method: string
  path: string
}

/**
 * Every route of an app, read from fastify's route tree (`printRoutes`), so a route added to a
 * service is covered without touching the suites. The tree prints one node per line, indented
 * four columns per level, with the node's path suffix and its methods in parentheses.
 */
export async function routesOf(app: App): Promise<Route[]> {
  await app.ready()
  const stack: string[] = []
  const routes: Route[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!match) continue
    stack.length = Math.floor(match[1]!.length / 4)
    // Routes sharing a node with different parameter names print as `:id|:target`.
    stack.push(match[2]!.replace(/:(\w+)(\|:\w+)+/g, ':$1'))
    const path = stack.join('')
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path })
  }
  return routes
}

/** One row list per table of SQLite databases (plus `files`' text), as text: the stored state. */
export async function snapshotTables(
  dbs: Kysely<any>[],
  files?: () => Promise<string>,
): Promise<string> {
  const parts: string[] = files ? [await files()] : []
  for (const db of dbs) {
    const tables = await sql<{ name: string }>`
      select name from sqlite_master where type = 'table' and name not like 'sqlite_%'
      order by name`.execute(db)
    for (const { name } of tables.rows) {
      const rows = await sql`select * from ${sql.table(name)}`.execute(db)
      parts.push(name, ...rows.rows.map((r) => JSON.stringify(r)).sort())
    }
  }
  return parts.join('\n')
}

/** SQLite's count of rows written on the connections (rolled back too): equal means no write. */
export async function sqliteWrites(dbs: Kysely<any>[]): Promise<number> {
  let n = 0
  for (const db of dbs) {
    const r = await sql<{ n: number }>`select total_changes() as n`.execute(db)
    n += Number(r.rows[0]!.n)
  }
  return n
}
