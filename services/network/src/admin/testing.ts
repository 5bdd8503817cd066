import assert from 'node:assert/strict'
import {
  staticCaller,
  staticVerifier,
  manualClock,
  silentLogger,
  type App,
  type AuthContext,
} from '@tricircle/core'
import { migrate, openDatabase, openTestDatabase, type TestDialect } from '@tricircle/store'
import { createJobQueue } from '../jobs/queue.js'
import { tricircleTables } from '../migrations/0002-tricircle.js'
import { createAdminApp, type AdminDeps } from './app.js'
import type { TricircleTables } from './db.js'

/** Static tokens: `admin` (project p-admin) and `alice`, a member of p-alpha. */
export const TOKENS: Record<string, AuthContext> = {
  admin: staticCaller('u-admin', 'p-admin', ['admin', 'member', 'reader']),
  alice: staticCaller('u-alice', 'p-alpha', ['member', 'reader']),
}

export interface TestAdmin {
  app: App
  deps: AdminDeps
  clock: ReturnType<typeof manualClock>
  close(): Promise<void>
}

/** The Admin API on a fresh database of `dialect` (in-memory SQLite without one). */
export async function startTestAdmin(dialect?: TestDialect): Promise<TestAdmin> {
  const handle = dialect
    ? await openTestDatabase<TricircleTables>(dialect)
    : openDatabase<TricircleTables>('sqlite::memory:')
  await migrate(handle.db, { '0002-tricircle': tricircleTables })
  const clock = manualClock(Date.UTC(2026, 0, 1, 12))
  const log = silentLogger()
  const deps: AdminDeps = {
    db: handle.db,
    log,
    clock,
    verifier: staticVerifier(TOKENS),
    jobs: createJobQueue({ db: handle.db, clock, log }),
  }
  const app = createAdminApp(deps)
  return {
    app,
    deps,
    clock,
    close: async () => {
      await app.close()
      await handle.close()
    },
  }
}

export const auth = (token: string) => ({ 'x-auth-token': token })

/** Sends a request as `token` (admin by default). */
export function call(
  app: App,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  payload?: unknown,
  token = 'admin',
) {
  return app.inject({
    method,
    url,
    headers: auth(token),
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
}

/** Creates a pod and returns it; throws with the response on failure. */
export async function createPod(app: App, region: string, az = 'az1') {
  const res = await call(app, 'POST', '/v1.0/pods', { pod: { region_name: region, az_name: az } })
  if (res.statusCode !== 200) throw new Error(`pod create failed: ${res.statusCode} ${res.body}`)
  return res.json<{ pod: { pod_id: string; region_name: string } }>().pod
}

/** The one fault of an Admin API error body as [type, code]; fails on any other shape. */
export function fault(body: string): [string, number] {
  const parsed = JSON.parse(body) as Record<string, { message: string; code: number }>
  const entries = Object.entries(parsed)
  assert.equal(entries.length, 1, body)
  const [type, inner] = entries[0]!
  assert.equal(typeof inner.message, 'string', body)
  return [type, inner.code]
}

export { staticVerifier } from '@tricircle/core'
