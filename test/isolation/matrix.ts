/**
 * The tenant isolation matrix: one row per (route, request) an outsider makes against project
 * A's resources, checked the same way for every service. A route of the app with neither a row
 * nor a stated exemption fails the run, so a new route gets a row, not a new test.
 */
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import type { App } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'
import { routesOf, snapshotTables, sqliteWrites } from '../support/app-state.js'

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Row {
  /** The route pattern this row covers, `METHOD /path/:param` as fastify prints it. */
  route: string
  /** The concrete path; defaults to the route's path (for routes without parameters). */
  url?: string
  body?: unknown
  headers?: Record<string, string>
  /** What every caller in `as` must get; 404 unless the API's reference says otherwise. */
  expect?: number
  /** Who sends it; the spec's outsiders unless given. */
  as?: string[]
  /**
   * A read that succeeds for the caller (a list, or a resource of their own) and must show
   * nothing of project A.
   */
  ok?: boolean
  /**
   * The caller may see the resource (a member of a shared image), so its answer (a 403) is not
   * compared with the answer for a missing id.
   */
  sees?: boolean
  /** Which named ids to replace by missing ones for that comparison; all by default. */
  ghosts?: string[]
}

export interface Reply {
  status: number
  text: string
}

export interface MatrixSpec {
  name: string
  app: App
  /** Members and readers of other projects (and of A, for admin-only rows that say so). */
  outsiders: string[]
  rows: Row[]
  /** Routes with no row, each with the reason (public discovery, the caller's own data). */
  exempt: Record<string, string>
  /** Project A's resource ids: never shown to an outsider unless the request named them. */
  ids: string[]
  /** Project A's data (names, descriptions, addresses): never shown to an outsider. */
  secrets: string[]
  /** Throws unless an error body is in the API family's fault shape. */
  fault(body: unknown, status: number): void
  /** Databases whose writes a refused request must not change. */
  dbs: Kysely<any>[]
  /** Sends one request as `token`; `inject` with X-Auth-Token by default. */
  send?: (
    token: string,
    method: Method,
    url: string,
    body?: unknown,
    headers?: object,
  ) => Promise<Reply>
}

export interface MatrixReport {
  rows: number
  requests: number
  routes: number
}

/** Sends through `inject` with the token in X-Auth-Token. */
export function injector(app: App) {
  return async (
    token: string,
    method: Method,
    url: string,
    body?: unknown,
    headers: object = {},
  ): Promise<Reply> => {
    const res = await app.inject({
      method,
      url,
      headers: { 'x-auth-token': token, ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: res.statusCode, text: res.body }
  }
}

const methodOf = (row: Row) => row.route.split(' ')[0] as Method
const pathOf = (row: Row) => row.route.slice(row.route.indexOf(' ') + 1)

/** An id of the same shape that names nothing: each hex digit replaced by a random one. */
function ghostOf(id: string): string {
  for (;;) {
    const ghost = id.replace(/[0-9a-f]/g, () => '0123456789abcdef'[randomInt(16)]!)
    if (ghost !== id) return ghost
  }
}

/** Request ids and times differ between two answers that say the same thing. */
const normalize = (text: string) =>
  text
    .replace(/req-[0-9a-f-]{36}/g, 'req-X')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g, 'T')

/** Every route of the app but HEAD, as `METHOD /path/:param`: what a row names. */
export async function routeKeys(app: App): Promise<string[]> {
  return (await routesOf(app))
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${r.method} ${r.path}`)
}

/** Checks coverage, then sends every row as each of its callers (see the file comment). */
export async function runMatrix(spec: MatrixSpec): Promise<MatrixReport> {
  const send = spec.send ?? injector(spec.app)
  const routes = await routeKeys(spec.app)
  const covered = new Set([...spec.rows.map((r) => r.route), ...Object.keys(spec.exempt)])
  const missing = routes.filter((r) => !covered.has(r))
  assert.deepEqual(missing, [], `${spec.name}: routes with no isolation row or exemption`)
  const stale = [...covered].filter((r) => !routes.includes(r))
  assert.deepEqual(stale, [], `${spec.name}: rows for routes the app does not have`)

  let requests = 0
  let written = await sqliteWrites(spec.dbs)
  let state = await snapshotTables(spec.dbs)
  /** Whether the stored state changed since the last call (cheap unless SQLite wrote). */
  const changed = async () => {
    const now = await sqliteWrites(spec.dbs)
    if (now === written) return false
    written = now
    const next = await snapshotTables(spec.dbs)
    const differs = next !== state
    state = next
    return differs
  }
  for (const row of spec.rows) {
    const method = methodOf(row)
    const url = row.url ?? pathOf(row)
    const request = `${url} ${JSON.stringify(row.body ?? '')}`
    const named = spec.ids.filter((id) => request.includes(id))
    const ghosted = row.ghosts ?? named
    for (const token of row.as ?? spec.outsiders) {
      const what = `${spec.name}: ${token} ${method} ${url} ${JSON.stringify(row.body ?? '')}`
      const res = await send(token, method, url, row.body, row.headers)
      requests++
      const expected = row.ok ? 'a success' : String(row.expect ?? 404)
      if (row.ok) assert.ok(res.status < 300, `${what} → ${res.status} ${res.text}`)
      else assert.equal(res.status, row.expect ?? 404, `${what} → ${res.text} (want ${expected})`)

      for (const id of spec.ids) {
        if (!named.includes(id))
          assert.ok(!res.text.includes(id), `${what} shows A's id ${id}: ${res.text}`)
      }
      for (const secret of spec.secrets.filter((x) => !request.includes(x)))
        assert.ok(!res.text.includes(secret), `${what} shows A's "${secret}": ${res.text}`)
      const wrote = await changed()
      if (row.ok) continue

      if (method !== 'HEAD') spec.fault(JSON.parse(res.text), res.status)
      assert.ok(!wrote, `${what} was refused but changed the stored state`)

      // Learns nothing: the same request naming ids that do not exist gets the same answer.
      if (ghosted.length > 0 && !row.sees) {
        const ghosts = new Map(ghosted.map((id) => [id, ghostOf(id)]))
        const swap = (s: string) => ghosted.reduce((t, id) => t.replaceAll(id, ghosts.get(id)!), s)
        const ghostBody =
          row.body === undefined ? undefined : JSON.parse(swap(JSON.stringify(row.body)))
        const ghost = await send(token, method, swap(url), ghostBody, row.headers)
        requests++
        assert.ok(!(await changed()), `${what} with missing ids changed the stored state`)
        const back = [...ghosts].reduce((t, [id, g]) => t.replaceAll(g, id), ghost.text)
        assert.equal(ghost.status, res.status, `${what}: a missing id gets ${ghost.status}`)
        assert.equal(normalize(back), normalize(res.text), `${what}: differs from a missing id`)
      }
    }
  }
  return { rows: spec.rows.length, requests, routes: routes.length }
}

/** Keystone's (and the image service's) fault body. */
export function keystoneFault(body: unknown, status: number): void {
  const e = (body as { error?: { code?: unknown; message?: unknown } }).error
  assert.equal(e?.code, status, `not a Keystone fault: ${JSON.stringify(body)}`)
  assert.equal(typeof e?.message, 'string')
}

export function neutronFault(body: unknown): void {
  const e = (body as { NeutronError?: { type?: unknown; message?: unknown } }).NeutronError
  assert.equal(typeof e?.type, 'string', `not a Neutron fault: ${JSON.stringify(body)}`)
  assert.equal(typeof e?.message, 'string')
}

export function zunFault(body: unknown, status: number): void {
  const e = (body as { errors?: { status?: unknown; detail?: unknown }[] }).errors?.[0]
  assert.equal(e?.status, status, `not a Zun fault: ${JSON.stringify(body)}`)
  assert.equal(typeof e?.detail, 'string')
}

/** The Tricircle Admin API's `{"<type>": {"message", "code"}}`. */
export function adminFault(body: unknown, status: number): void {
  const [inner] = Object.values(body as Record<string, { code?: unknown; message?: unknown }>)
  assert.equal(inner?.code, status, `not an Admin API fault: ${JSON.stringify(body)}`)
  assert.equal(typeof inner?.message, 'string')
}
