import { manualClock, silentLogger, type App } from '@tricircle/core'
import { migrate, openDatabase } from '@tricircle/store'
import { createApp } from './app.js'
import { bootstrap } from './bootstrap.js'
import type { IdentityDb } from './db.js'
import type { IdentityDeps } from './deps.js'
import { migrations } from './migrations/index.js'
import { identityDeps } from './wiring.js'

export const ADMIN_PASSWORD = 'admin-secret'

/** A request's outcome as identity tests read it. */
export interface Reply<T> {
  status: number
  text: string
  body: T
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface TestIdentity {
  app: App
  deps: IdentityDeps
  clock: ReturnType<typeof manualClock>
  adminToken: string
  /** One request through `inject`, as the admin unless another token is given. */
  call<T = Record<string, unknown>>(
    method: Method,
    url: string,
    body?: object,
    token?: string,
  ): Promise<Reply<T>>
  /** `POST /v3/<kind>s` with `{ <kind>: fields }`; throws unless it is a 201. */
  create<T = { id: string }>(kind: string, fields: object): Promise<T>
  /** Issues a project-scoped token by password; throws with the response on failure. */
  login(user: string, password: string, project?: string): Promise<string>
  close(): Promise<void>
}

/**
 * A bootstrapped identity service on a database of its own (in-memory SQLite unless `url` names
 * another), with a clock the test moves by hand.
 */
export async function startTestIdentity(options: { url?: string } = {}): Promise<TestIdentity> {
  const handle = openDatabase<IdentityDb>(options.url ?? 'sqlite::memory:')
  await migrate(handle.db, migrations)
  const clock = manualClock(Date.now())
  await bootstrap(handle.db, clock, {
    adminPassword: ADMIN_PASSWORD,
    identityUrl: 'http://identity.test:5000',
  })
  const deps = await identityDeps({
    config: {
      bind: { host: '127.0.0.1', port: 0, publicUrl: 'http://identity.test:5000' },
      log: { level: 'silent' },
      database: { url: 'sqlite::memory:' },
      tokens: { ttlSeconds: 3600 },
    },
    db: handle.db,
    log: silentLogger(),
    clock,
  })
  const app = createApp(deps)
  const login = async (user: string, password: string, project?: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v3/auth/tokens',
      payload: passwordAuth(user, password, project),
    })
    const token = res.headers['x-subject-token']
    if (res.statusCode !== 201 || typeof token !== 'string')
      throw new Error(`login failed: ${res.statusCode} ${res.body}`)
    return token
  }
  const adminToken = await login('admin', ADMIN_PASSWORD, 'admin')
  const call = async <T>(method: Method, url: string, body?: object, token = adminToken) => {
    const res = await app.inject({ method, url, headers: auth(token), payload: body })
    return { status: res.statusCode, text: res.body, body: (res.body ? res.json() : {}) as T }
  }
  const create = async <T>(kind: string, fields: object) => {
    const res = await call<Record<string, T>>('POST', `/v3/${kind}s`, { [kind]: fields })
    if (res.status !== 201) throw new Error(`creating a ${kind}: ${res.status} ${res.text}`)
    return res.body[kind]!
  }
  return {
    app,
    deps,
    clock,
    adminToken,
    call,
    create,
    login,
    close: async () => {
      await app.close()
      await handle.close()
    },
  }
}

/** The body keystoneauth sends for a password login, scoped to a project when one is named. */
export function passwordAuth(user: string, password: string, project?: string) {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user, domain: { name: 'Default' }, password } },
      },
      ...(project ? { scope: { project: { name: project, domain: { name: 'Default' } } } } : {}),
    },
  }
}

export const auth = (token: string) => ({ 'x-auth-token': token })
