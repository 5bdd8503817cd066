import { manualClock, silentLogger, type App } from '@tricircle/core'
import { migrate, openDatabase, type Kysely } from '@tricircle/store'
import { createApp } from '../app.js'
import { TOKENS, staticVerifier, startTestNetwork, type TestNetworkService } from '../testing.js'
import { createLocalApp } from './app.js'
import { CentralClient } from './central.js'
import type { LocalNetworkConfig } from './config.js'
import type { LocalDb } from './db.js'
import type { LocalDeps } from './deps.js'
import { migrations } from './migrations.js'

/** The availability zones of the central test service's pods. */
const ZONES: Record<string, string> = { RegionOne: 'az1', RegionTwo: 'az2' }

/** The parts of Neutron objects the tests read. */
export interface Network {
  id: string
  name: string
  project_id: string
  subnets: string[]
  availability_zone_hints: string[]
  'provider:segmentation_id'?: number
}
export interface Subnet {
  id: string
  project_id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  allocation_pools: { start: string; end: string }[]
  description: string
}
export interface FixedIp {
  subnet_id: string
  ip_address: string
}
export interface Port {
  id: string
  name: string
  network_id: string
  mac_address: string
  fixed_ips: FixedIp[]
  security_groups: string[]
  device_owner: string
  'binding:host_id'?: string
  'binding:profile'?: Record<string, unknown>
}
export interface Agent {
  id: string
  host: string
  alive: boolean
  configurations: Record<string, unknown>
}

/**
 * A response body as the tests read it: whichever key the request returns (reading another is
 * the test's mistake, caught by its assertions).
 */
export interface Answer {
  network: Network
  networks: Network[]
  networks_links: { rel: string; href: string }[]
  subnet: Subnet
  subnets: Subnet[]
  port: Port
  ports: Port[]
  security_groups: { id: string }[]
  copy: Record<string, unknown> & { id: string; gateway_ip?: string }
  copies: { id: string }[]
  host: { host: string; tunnel_ip: string }
  agents: Agent[]
  agent: Agent
  extensions: { alias: string }[]
  NeutronError: { type: string; message: string }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
type Call = (
  token: string,
  method: Method,
  url: string,
  body?: unknown,
) => Promise<{ status: number; body: Answer; headers: Record<string, unknown> }>

export interface TestRegion {
  app: App
  deps: LocalDeps
  db: Kysely<LocalDb>
  clock: ReturnType<typeof manualClock>
  /** Sends a request as `token` (one of the static test tokens); `body` is JSON. */
  call: Call
  close(): Promise<void>
}

/**
 * A region's network service on in-memory SQLite, talking to the central service at
 * `central.url` with the same static tokens (`svc` is its service user), not listening.
 */
export async function startTestRegion(options: {
  region: string
  availabilityZone?: string
  central: { url: string }
  timeoutMs?: number
}): Promise<TestRegion> {
  const handle = openDatabase<LocalDb>('sqlite::memory:')
  await migrate(handle.db, migrations)
  const clock = manualClock(Date.UTC(2026, 10, 26))
  const log = silentLogger()
  const config: LocalNetworkConfig = {
    bind: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    database: { url: 'sqlite::memory:' },
    region: options.region,
    availabilityZone: options.availabilityZone ?? ZONES[options.region] ?? '',
    centralUrl: options.central.url,
    centralTimeoutMs: options.timeoutMs ?? 5_000,
    agentDownTimeSeconds: 75,
    auth: { identityUrl: 'http://identity.test:5000', username: 's', password: 's', project: 's' },
  }
  const central = new CentralClient({
    url: config.centralUrl,
    region: config.region,
    serviceToken: async () => 'svc',
    timeoutMs: config.centralTimeoutMs,
    log,
  })
  const deps: LocalDeps = {
    config,
    db: handle.db,
    log,
    clock,
    verifier: staticVerifier(TOKENS),
    central,
  }
  const app = createLocalApp(deps)
  return {
    app,
    deps,
    db: handle.db,
    clock,
    call: async (token, method, url, body) => {
      const res = await app.inject({
        method,
        url,
        headers: { 'x-auth-token': token },
        ...(body === undefined ? {} : { payload: body as object }),
      })
      return {
        status: res.statusCode,
        body: (res.body ? JSON.parse(res.body) : {}) as Answer,
        headers: res.headers,
      }
    },
    close: async () => {
      await app.close()
      await handle.close()
    },
  }
}

export interface ListeningCentral {
  svc: TestNetworkService
  url: string
  /** A request to central (through `inject`), typed as the tests read it. */
  call: Call
  /** Creates a resource centrally and returns it. */
  create<T = { id: string }>(token: string, collection: string, body: object): Promise<T>
  /** Closes central's server (its database stays): regions now find it unreachable. */
  stop(): Promise<void>
  /** Serves the same database again at the same address. */
  start(): Promise<void>
  close(): Promise<void>
}

/** The real central service (`startTestNetwork`) listening on a loopback port. */
export async function startListeningCentral(): Promise<ListeningCentral> {
  const svc = await startTestNetwork()
  let app: App | undefined = svc.app
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    svc,
    url: `http://127.0.0.1:${port}`,
    call: async (token, method, url, body) => {
      const res = await svc.call(token, method, url, body)
      return { status: res.status, body: (res.body ?? {}) as Answer, headers: res.headers }
    },
    create: async <T>(token: string, collection: string, body: object) =>
      (await svc.create(token, collection, body as Record<string, unknown>)) as T,
    stop: async () => {
      await app?.close()
      app = undefined
    },
    start: async () => {
      if (app) return
      app = createApp(svc.deps)
      await app.listen({ host: '127.0.0.1', port })
    },
    close: async () => {
      await app?.close()
      app = undefined
      await svc.close()
    },
  }
}
