/**
 * The fuzz harness: sends generated requests to a service through `inject` and checks, for
 * every case, that the answer is not a 5xx, that an error is in the API family's fault shape,
 * that no prototype was polluted, and that a rejected request left the stored state unchanged.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { App } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'
import { IdPool, caseArbitrary, resolve, type RequestSpace, type Resolved } from './requests.js'
import { routesOf, singular, type Route } from './routes.js'
import { POLLUTION_MARK } from './values.js'
import { snapshotTables, sqliteWrites } from '../support/app-state.js'

export interface FuzzSettings {
  seed: number
  numRuns: number
}

/** `TRICIRCLE_FUZZ_SEED` and `TRICIRCLE_FUZZ_RUNS` from the environment, else fixed defaults. */
export function fuzzSettings(env: NodeJS.ProcessEnv): FuzzSettings {
  const seed = Number(env.TRICIRCLE_FUZZ_SEED ?? 20261126)
  const numRuns = Number(env.TRICIRCLE_FUZZ_RUNS ?? 10_000)
  assert.ok(Number.isInteger(seed), 'TRICIRCLE_FUZZ_SEED must be an integer')
  assert.ok(Number.isInteger(numRuns) && numRuns > 0, 'TRICIRCLE_FUZZ_RUNS must be > 0')
  return { seed, numRuns }
}

export interface FuzzTarget extends Omit<RequestSpace, 'routes'> {
  app: App
  /** The databases holding the service's state, compared around rejected requests. */
  dbs: Kysely<any>[]
  /** Known ids by kind (`network`, `project`…), the seeded resources. */
  ids: Record<string, string[]>
  /** A parameter kind that names another kind's ids (`member` → `project`). */
  aliases?: Record<string, string>
  /** State kept outside the databases (stored files), compared with them. */
  files?: () => Promise<string>
  /** Asserts that an error body is in the family's fault shape. */
  fault(body: unknown, status: number): void
}

export interface FuzzReport {
  cases: number
  ms: number
  /** Cases per route and how many were accepted (< 400). */
  routes: Map<string, { cases: number; accepted: number }>
}

const describe = (r: Resolved) =>
  `${r.method} ${r.url.slice(0, 400)}\nheaders: ${JSON.stringify(r.headers).slice(0, 400)}\nbody: ${r.payload?.slice(0, 500)}`

/**
 * Runs `numRuns` generated requests against the target. Stops at the first failing case and
 * throws with fast-check's seed and path, the concrete request and the answer.
 */
export async function runFuzz(target: FuzzTarget, settings: FuzzSettings): Promise<FuzzReport> {
  // The 5xx the error handler hides are what a failure should show (hooks go before `ready`).
  let lastError: unknown
  target.app.addHook('onError', async (_req, _reply, error) => {
    lastError = error
  })
  const routes: Route[] = await routesOf(target.app)
  const space: RequestSpace = { ...target, routes }
  const pool = new IdPool(target.ids, target.aliases)
  const report: FuzzReport = { cases: 0, ms: 0, routes: new Map() }
  for (const r of routes) report.routes.set(`${r.method} ${r.path}`, { cases: 0, accepted: 0 })
  let baseline = await snapshotTables(target.dbs, target.files)
  let written = await sqliteWrites(target.dbs)

  const property = fc.asyncProperty(caseArbitrary(space), async (c) => {
    const req = resolve(c, space, pool)
    lastError = undefined
    const res = await target.app.inject({
      method: req.method as 'GET',
      url: req.url,
      headers: req.headers,
      ...(req.payload === undefined ? {} : { payload: req.payload }),
    })
    const what = `${describe(req)}\n→ ${res.statusCode} ${res.body.slice(0, 1000)}`
    const stats = report.routes.get(`${req.route.method} ${req.route.path}`)!
    stats.cases++
    report.cases++
    assert.ok(res.statusCode < 500, `${what}\nerror: ${(lastError as Error)?.stack}`)
    assert.equal(({} as Record<string, unknown>)[POLLUTION_MARK], undefined, `polluted: ${what}`)
    if (res.statusCode >= 400 && req.method !== 'HEAD') {
      let body: unknown
      assert.doesNotThrow(() => (body = JSON.parse(res.body)), `not JSON: ${what}`)
      assert.doesNotThrow(() => target.fault(body, res.statusCode), `fault shape: ${what}`)
    }
    const now = await sqliteWrites(target.dbs)
    if (now !== written) {
      written = now
      const state = await snapshotTables(target.dbs, target.files)
      if (res.statusCode >= 400 && state !== baseline)
        assert.fail(`a rejected request wrote:\n${diff(baseline, state)}\n${what}`)
      baseline = state
    }
    if (res.statusCode < 400) {
      stats.accepted++
      harvest(req, res.body, pool)
    }
  })

  const started = performance.now()
  try {
    await fc.assert(property, {
      seed: settings.seed,
      numRuns: settings.numRuns,
      // State carries over between cases, so shrinking would replay a different history: report
      // the failing case exactly as it ran instead.
      endOnFailure: true,
    })
  } catch (error) {
    const message = (error as Error).message
    throw new Error(`${message}\nRun again with TRICIRCLE_FUZZ_SEED=${settings.seed}`, {
      cause: error,
    })
  }
  report.ms = performance.now() - started
  return report
}

/** The rows one state has and the other lacks, briefly. */
function diff(before: string, after: string): string {
  const a = new Set(before.split('\n'))
  const b = new Set(after.split('\n'))
  const lines = [
    ...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`),
    ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`),
  ]
  return lines.slice(0, 20).join('\n')
}

/** Adds the id of a created resource to the pool, so later cases can act on it. */
function harvest(req: Resolved, text: string, pool: IdPool): void {
  if (req.method !== 'POST' && req.method !== 'PUT') return
  const collection = req.route.path.split('/').filter((s) => s && !s.startsWith(':'))
  const kind = singular(collection.at(-1) ?? '')
  try {
    const body = JSON.parse(text) as Record<string, { id?: unknown; uuid?: unknown } | undefined>
    const id = body[kind]?.id ?? body.id ?? body.uuid
    if (typeof id === 'string') pool.add(kind, id)
  } catch {
    // Not JSON: nothing to learn.
  }
}

/** Checks the run covered every route and prints a one-line summary per service. */
export function assertCoverage(name: string, report: FuzzReport, log: (s: string) => void): void {
  const missed = [...report.routes].filter(([, s]) => s.cases === 0).map(([r]) => r)
  const accepted = [...report.routes.values()].reduce((n, s) => n + s.accepted, 0)
  log(
    `${name}: ${report.cases} cases over ${report.routes.size} routes in ` +
      `${(report.ms / 1000).toFixed(1)} s, ${accepted} accepted`,
  )
  assert.deepEqual(missed, [], 'every route was fuzzed')
}

/** Keystone's fault body (identity, image): `{"error": {code, title, message}}`. */
export function keystoneFault(body: unknown, status: number): void {
  const b = body as { error: { code: unknown; title: unknown; message: unknown } }
  assert.deepEqual(Object.keys(b), ['error'])
  assert.equal(b.error.code, status)
  assert.equal(typeof b.error.title, 'string')
  assert.equal(typeof b.error.message, 'string')
}

/** Neutron's fault body: `{"NeutronError": {type, message, detail}}`. */
export function neutronFault(body: unknown): void {
  const b = body as { NeutronError: { type: unknown; message: unknown; detail: unknown } }
  assert.deepEqual(Object.keys(b), ['NeutronError'])
  assert.equal(typeof b.NeutronError.type, 'string')
  assert.equal(typeof b.NeutronError.message, 'string')
  assert.equal(typeof b.NeutronError.detail, 'string')
}

/** Zun's fault body: `{"errors": [{request_id, code: "container.…", status, title, detail}]}`. */
export function zunFault(body: unknown, status: number): void {
  const b = body as { errors: Record<string, unknown>[] }
  assert.deepEqual(Object.keys(b), ['errors'])
  assert.equal(b.errors.length, 1)
  const e = b.errors[0]!
  assert.equal(e.status, status)
  assert.match(String(e.code), /^container\.[a-z0-9-]+$/)
  assert.equal(typeof e.title, 'string')
  assert.equal(typeof e.detail, 'string')
  assert.match(String(e.request_id), /^req-/)
}

/** The Tricircle Admin API's fault body: `{"<type>": {message, code}}`. */
export function adminFault(body: unknown, status: number): void {
  const entries = Object.entries(body as Record<string, { message: unknown; code: unknown }>)
  assert.equal(entries.length, 1)
  const [, inner] = entries[0]!
  assert.equal(typeof inner.message, 'string')
  assert.equal(inner.code, status)
}
