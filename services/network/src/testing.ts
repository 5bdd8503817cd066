import {
  staticCaller,
  staticVerifier,
  manualClock,
  silentLogger,
  type App,
  type AuthContext,
} from '@tricircle/core'
import { migrate, openDatabase, type Kysely, type TestDialect } from '@tricircle/store'
import { createApp } from './app.js'
import type { CentralNetworkConfig } from './config.js'
import type { NetworkDb } from './db.js'
import type { NetworkDeps } from './deps.js'
import { createJobQueue } from './jobs/index.js'
import { migrations } from './migrations/index.js'

/** Projects of the static test callers. */
export const PROJECT = { admin: 'p-admin', alpha: 'p-alpha', beta: 'p-beta' }

/**
 * Static tokens: `admin`; `alice` and `amy` (members of alpha), `bob` (member of beta), `rita`
 * (reader of alpha), `svc` (the service user, admin + service).
 */
export const TOKENS: Record<string, AuthContext> = {
  admin: staticCaller('u-admin', PROJECT.admin, ['admin', 'member', 'reader']),
  alice: staticCaller('u-alice', PROJECT.alpha, ['member', 'reader']),
  amy: staticCaller('u-amy', PROJECT.alpha, ['member', 'reader']),
  bob: staticCaller('u-bob', PROJECT.beta, ['member', 'reader']),
  rita: staticCaller('u-rita', PROJECT.alpha, ['reader']),
  svc: staticCaller('u-svc', 'p-service', ['admin', 'service', 'member', 'reader']),
}

export const REGIONS = ['RegionOne', 'RegionTwo'] as const

export interface TestNetworkService {
  app: App
  deps: NetworkDeps
  db: Kysely<NetworkDb>
  /** Sends a request as `token`; `body` is JSON. */
  call(
    token: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>
  /** POSTs a resource and returns it; throws with the response unless 201. */
  create(token: string, collection: string, body: Record<string, unknown>): Promise<any>
  close(): Promise<void>
}

/**
 * The central network service on its own database (in-memory SQLite unless `url`), with pods for
 * CentralRegion, RegionOne (az1) and RegionTwo (az2) registered, and a job queue whose worker is
 * not started (tests run jobs explicitly).
 */
export async function startTestNetwork(
  options: { url?: string; config?: Partial<CentralNetworkConfig> } = {},
): Promise<TestNetworkService> {
  const handle = openDatabase<NetworkDb>(options.url ?? 'sqlite::memory:')
  await migrate(handle.db, migrations)
  const pods = [
    { pod_id: 'pod-central', region_name: 'CentralRegion', az_name: '' },
    { pod_id: 'pod-one', region_name: 'RegionOne', az_name: 'az1' },
    { pod_id: 'pod-two', region_name: 'RegionTwo', az_name: 'az2' },
  ]
  await handle.db
    .insertInto('pods')
    .values(pods.map((p) => ({ ...p, pod_az_name: '', dc_name: '' })))
    .execute()
  const clock = manualClock(Date.UTC(2026, 10, 26))
  const log = silentLogger()
  const config: CentralNetworkConfig = {
    bind: { host: '127.0.0.1', port: 0 },
    adminBind: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    database: { url: 'sqlite::memory:' },
    region: 'CentralRegion',
    vni: { min: 1001, max: 65000 },
    flatNetworks: ['extern'],
    defaultExternalRegion: 'RegionOne',
    bridgeCidr: '100.0.0.0/9',
    quota: {
      network: 100,
      subnet: 100,
      subnetpool: -1,
      port: 500,
      router: 10,
      floatingip: 50,
      security_group: 10,
      security_group_rule: 100,
    },
    auth: { identityUrl: 'http://identity.test:5000', username: 's', password: 's', project: 's' },
    ...options.config,
  }
  const deps: NetworkDeps = {
    config,
    db: handle.db,
    log,
    clock,
    verifier: staticVerifier(TOKENS),
    jobs: createJobQueue({ db: handle.db, clock, log }),
  }
  const app = createApp(deps)
  const call: TestNetworkService['call'] = async (token, method, url, body) => {
    const res = await app.inject({
      method,
      url,
      headers: { 'x-auth-token': token },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return {
      status: res.statusCode,
      body: res.body ? (JSON.parse(res.body) as unknown) : undefined,
      headers: res.headers,
    }
  }
  return {
    app,
    deps,
    db: handle.db,
    call,
    create: async (token, collection, body) => {
      const singular = collection.replace(/ies$/, 'y').replace(/s$/, '').replace(/-/g, '_')
      const res = await call(token, 'POST', `/v2.0/${collection}`, { [singular]: body })
      if (res.status !== 201) {
        throw new Error(`create ${collection} failed: ${res.status} ${JSON.stringify(res.body)}`)
      }
      return (res.body as Record<string, unknown>)[singular]
    },
    close: async () => {
      await app.close()
      await handle.close()
    },
  }
}

/** A test service on a fresh database of `dialect`, closed and dropped after the test. */
export async function startTestNetworkOn(
  dialect: TestDialect,
  t: { after: (fn: () => Promise<void>) => void },
  options: { config?: Partial<CentralNetworkConfig> } = {},
): Promise<TestNetworkService> {
  const database = await dialect.url()
  const net = await startTestNetwork({ ...options, url: database.url })
  t.after(async () => {
    await net.close()
    await database.drop()
  })
  return net
}

export { staticVerifier } from '@tricircle/core'
