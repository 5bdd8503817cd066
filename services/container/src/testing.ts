/**
 * The container service in-process for unit tests: its own database (in-memory SQLite unless a
 * URL is given), static tokens, a manual clock, fake network and image lookups holding whatever
 * the test adds, and a recording agent client.
 */
import {
  manualClock,
  Revision,
  silentLogger,
  staticCaller,
  staticVerifier,
  type App,
  type AuthContext,
  type Clock,
} from '@tricircle/core'
import type { TestContext } from 'node:test'
import { migrate, openDatabase, type TestDialect } from '@tricircle/store'
import type { HostCapacity } from './agent-contract.js'
import type { AgentClient } from './agent-client.js'
import { createApp } from './app.js'
import type { ContainerConfig } from './config.js'
import type { ContainerDb } from './db.js'
import type { ContainerDeps } from './deps.js'
import { ImageNotFound, NetworkNotFound, PortNotFound, SecurityGroupNotFound } from './errors.js'
import type { ImageLookup, NetworkInfo, NetworkLookup, PortInfo } from './lookups.js'
import { migrations } from './migrations/index.js'

export const PROJECT = { admin: 'p-admin', alpha: 'p-alpha', beta: 'p-beta' }

/** `admin`; `alice` (member of alpha), `bob` (member of beta), `rita` (reader of alpha), `svc`. */
export const TOKENS: Record<string, AuthContext> = {
  admin: staticCaller('u-admin', PROJECT.admin, ['admin', 'member', 'reader']),
  alice: staticCaller('u-alice', PROJECT.alpha, ['member', 'reader']),
  bob: staticCaller('u-bob', PROJECT.beta, ['member', 'reader']),
  rita: staticCaller('u-rita', PROJECT.alpha, ['reader']),
  svc: staticCaller('u-svc', 'p-service', ['service', 'admin', 'member', 'reader']),
}

/** Networks, ports, groups and images the fakes know, each visible to the projects listed. */
export class FakeWorld implements NetworkLookup, ImageLookup {
  readonly networks: (NetworkInfo & { name: string; visibleTo: string[] })[] = []
  readonly ports: (PortInfo & { visibleTo: string[] })[] = []
  readonly groups: { id: string; name: string; visibleTo: string[] }[] = []
  readonly images: { id: string; name: string; visibleTo: string[] }[] = []

  #project(token: string): string {
    return TOKENS[token]?.projectId ?? ''
  }
  #sees(token: string, visibleTo: string[]): boolean {
    return token === 'admin' || token === 'svc' || visibleTo.includes(this.#project(token))
  }

  async network(token: string, ident: string): Promise<NetworkInfo> {
    const found = this.networks.filter(
      (n) => (n.id === ident || n.name === ident) && this.#sees(token, n.visibleTo),
    )
    if (!found[0]) throw new NetworkNotFound(`Neutron network ${ident} could not be found.`)
    return found[0]
  }
  async visibleNetworks(token: string): Promise<NetworkInfo[]> {
    return this.networks.filter((n) => n.shared || this.#sees(token, n.visibleTo))
  }
  async port(token: string, id: string): Promise<PortInfo> {
    const port = this.ports.find((p) => p.id === id && this.#sees(token, p.visibleTo))
    if (!port) throw new PortNotFound(`Neutron port ${id} could not be found.`)
    return port
  }
  async securityGroup(token: string, ident: string): Promise<string> {
    const group = this.groups.find(
      (g) => (g.id === ident || g.name === ident) && this.#sees(token, g.visibleTo),
    )
    if (!group) throw new SecurityGroupNotFound(`Security group ${ident} could not be found.`)
    return group.id
  }
  async image(token: string, ref: string): Promise<string> {
    const image = this.images.find(
      (i) => (i.id === ref || i.name === ref) && this.#sees(token, i.visibleTo),
    )
    if (!image) throw new ImageNotFound(`Image ${ref} could not be found.`)
    return image.id
  }
}

export class RecordingAgents implements AgentClient {
  readonly calls: { url: string; method: string; path: string; body: unknown }[] = []
  answer: (path: string, body: unknown) => unknown = () => ({})

  async call<T>(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    this.calls.push({ url, method, path, body })
    return this.answer(path, body) as T
  }
}

export const TEST_CAPACITY: HostCapacity = {
  cpus: 4,
  cpu_used: 0,
  mem_total: 4096,
  mem_used: 0,
  disk_total: 100,
  disk_used: 0,
  total_containers: 0,
  architecture: 'x86_64',
  os_type: 'linux',
  os: 'Debian GNU/Linux 12 (bookworm)',
  kernel_version: '6.1.0',
  runtimes: ['runc'],
}

export interface TestContainerService {
  app: App
  deps: ContainerDeps
  world: FakeWorld
  agents: RecordingAgents
  clock: Clock & { advance(ms: number): void }
  /** Registers a compute host as its agent's heartbeat would. */
  addHost(hostname: string, capacity?: Partial<HostCapacity>): Promise<void>
  close(): Promise<void>
}

export async function startTestContainerService(
  options: { url?: string } = {},
): Promise<TestContainerService> {
  const handle = openDatabase<ContainerDb>(options.url ?? 'sqlite::memory:')
  await migrate(handle.db, migrations)
  const config: ContainerConfig = {
    bind: { host: '127.0.0.1', port: 0, publicUrl: 'http://zun.test:9517' },
    log: { level: 'silent' },
    database: { url: 'sqlite::memory:' },
    region: 'RegionOne',
    network: { url: 'http://neutron.test:9696' },
    image: { url: 'http://glance.test:9292' },
    auth: { identityUrl: 'http://identity.test:5000', username: 's', password: 's', project: 's' },
    scheduler: { serviceDownSeconds: 30, cpuAllocationRatio: 16, ramAllocationRatio: 1.5 },
  }
  const world = new FakeWorld()
  const agents = new RecordingAgents()
  const clock = manualClock(Date.parse('2026-11-26T00:00:00Z'))
  const deps: ContainerDeps = {
    config,
    db: handle.db,
    log: silentLogger(),
    clock,
    verifier: staticVerifier(TOKENS),
    networks: world,
    images: world,
    agents,
    revision: new Revision(),
  }
  const app = createApp(deps)
  return {
    app,
    deps,
    world,
    agents,
    clock,
    async addHost(hostname, capacity = {}) {
      const res = await app.inject({
        method: 'PUT',
        url: `/v1/os-tricircle/hosts/${hostname}`,
        headers: { 'x-auth-token': 'svc' },
        payload: {
          agent_url: `http://${hostname}.test:9518`,
          capacity: { ...TEST_CAPACITY, ...capacity },
        },
      })
      if (res.statusCode !== 200) throw new Error(`host ${hostname}: ${res.statusCode} ${res.body}`)
    },
    async close() {
      await app.close()
      await handle.close()
    },
  }
}

/**
 * The service on `dialect`'s fresh database, closed (and the database dropped) when the test
 * ends, with alice's image `cirros` and network `private`.
 */
export async function startForDialect(t: TestContext, dialect: TestDialect) {
  const database = await dialect.url()
  const s = await startTestContainerService({ url: database.url })
  t.after(async () => {
    await s.close()
    await database.drop()
  })
  s.world.images.push({ id: 'img-cirros', name: 'cirros', visibleTo: [PROJECT.alpha] })
  s.world.networks.push({
    id: 'net-alpha',
    name: 'private',
    project_id: PROJECT.alpha,
    shared: false,
    external: false,
    created_at: '2026-11-01T00:00:00Z',
    visibleTo: [PROJECT.alpha],
  })
  return s
}
