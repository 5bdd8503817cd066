/**
 * Test doubles and harness: veths kept in memory, and the plugin's API over the real network
 * service in-process (`startTestCloud`: central and two regions on loopback), called with
 * `inject` the way Docker calls it (no Content-Type, bodies that may be empty).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger, type App } from '@tricircle/core'
import { createApp } from './app.js'
import { startCleanup, type Cleanup } from './cleanup.js'
import type { DriverContext } from './context.js'
import type { Veth, VethLinks } from './links.js'
import { NetworkService } from './network-service.js'
import { StateStore } from './state.js'

export class FakeLinks implements VethLinks {
  readonly veths = new Map<string, Veth>()
  /** Every call, as `create <host>` / `delete <host>`. */
  readonly log: string[] = []
  /** The next `create` fails with this message. */
  failNextCreate: string | undefined

  async create(veth: Veth): Promise<void> {
    this.log.push(`create ${veth.host}`)
    if (this.failNextCreate) {
      const message = this.failNextCreate
      this.failNextCreate = undefined
      throw new Error(message)
    }
    this.veths.set(veth.host, veth)
  }

  async delete(host: string): Promise<void> {
    this.log.push(`delete ${host}`)
    this.veths.delete(host)
  }
}

/** A random Docker id (64 hexadecimal characters). */
export function dockerId(): string {
  let out = ''
  while (out.length < 64) out += Math.floor(Math.random() * 2 ** 32).toString(16)
  return out.slice(0, 64)
}

export interface TestPlugin {
  app: App
  ctx: DriverContext
  links: FakeLinks
  stateDir: string
  /** A call as Docker makes it; `body` undefined sends an empty body. */
  call(method: string, body?: unknown): Promise<{ status: number; body: any }>
  /** Stops this instance; the state directory stays (for a restart). */
  stop(): Promise<void>
}

export interface TestPluginOptions {
  /** The region's network service. */
  url: string
  token?: string
  region?: string
  host?: string
  /** Reuse a state directory (a restart); default a new temporary one. */
  stateDir?: string
  links?: FakeLinks
}

/** The plugin over `url` (the network service), not listening: `call` injects. */
export async function startTestPlugin(options: TestPluginOptions): Promise<TestPlugin> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'tricircle-netplugin-')))
  const state = await StateStore.open(stateDir)
  const neutron = new NetworkService({
    url: options.url,
    token: async () => options.token ?? 'svc',
    timeoutMs: 2000,
  })
  const log = silentLogger()
  const cleanup: Cleanup = startCleanup({
    state,
    neutron,
    log,
    backoff: { baseMs: 50, maxMs: 200 },
    resyncMs: 200,
  })
  const links = options.links ?? new FakeLinks()
  const ctx: DriverContext = {
    region: options.region ?? 'RegionOne',
    host: options.host ?? 'host-1',
    neutron,
    state,
    links,
    cleanup,
    log,
  }
  const app = createApp(ctx)
  return {
    app,
    ctx,
    links,
    stateDir,
    async call(method, body) {
      const res = await app.inject({
        method: 'POST',
        url: `/${method}`,
        headers: { accept: 'application/vnd.docker.plugins.v1.2+json' },
        payload: body === undefined ? '' : JSON.stringify(body) + '\n',
      })
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined }
    },
    async stop() {
      await app.close()
      await cleanup.stop()
    },
  }
}

/** Removes a state directory `startTestPlugin` made. */
export const removeStateDir = (dir: string) => rm(dir, { recursive: true, force: true })

export interface DockerNetwork {
  /** Docker's network id. */
  id: string
  poolId: string
  /** The gateway Docker got (`addr/prefix`). */
  gateway: string
}

export interface DockerEndpoint {
  id: string
  /** `addr/prefix`, as IPAM gave it. */
  address: string
  /** What CreateEndpoint answered. */
  mac?: string
  join: any
}

/**
 * The calls Docker makes, in its order: `docker network create` (RequestPool, the gateway's
 * RequestAddress, CreateNetwork) and a container's life on the network (RequestAddress,
 * CreateEndpoint, Join; Leave, DeleteEndpoint, ReleaseAddress). Each throws with the plugin's
 * `Err` if a call fails, rolling back as Docker does.
 */
export class DockerCalls {
  constructor(readonly plugin: Pick<TestPlugin, 'call'>) {}

  async #ok(method: string, body?: unknown): Promise<any> {
    const res = await this.plugin.call(method, body)
    if (res.status !== 200) throw new Error(`${method}: ${res.status} ${res.body?.Err}`)
    return res.body
  }

  async createNetwork(options: {
    cidr: string
    gateway?: string
    driver?: Record<string, string>
    ipam?: Record<string, string>
  }): Promise<DockerNetwork> {
    const pool = await this.#ok('IpamDriver.RequestPool', {
      AddressSpace: 'no_address_space',
      Pool: options.cidr,
      SubPool: '',
      Options: options.ipam ?? {},
      V6: false,
    })
    const id = dockerId()
    try {
      const gateway = await this.#ok('IpamDriver.RequestAddress', {
        PoolID: pool.PoolID,
        Address: options.gateway ?? '',
        Options: { RequestAddressType: 'com.docker.network.gateway' },
      })
      await this.#ok('NetworkDriver.CreateNetwork', {
        NetworkID: id,
        Options: {
          'com.docker.network.enable_ipv6': false,
          'com.docker.network.generic': options.driver ?? {},
        },
        IPv4Data: [{ AddressSpace: 'no_address_space', Gateway: gateway.Address, Pool: pool.Pool }],
        IPv6Data: [],
      })
      return { id, poolId: pool.PoolID, gateway: gateway.Address }
    } catch (error) {
      await this.plugin.call('IpamDriver.ReleasePool', { PoolID: pool.PoolID })
      throw error
    }
  }

  async deleteNetwork(network: DockerNetwork): Promise<void> {
    await this.#ok('IpamDriver.ReleaseAddress', {
      PoolID: network.poolId,
      Address: network.gateway.split('/')[0],
    })
    await this.#ok('IpamDriver.ReleasePool', { PoolID: network.poolId })
    await this.#ok('NetworkDriver.DeleteNetwork', { NetworkID: network.id })
  }

  /** A container starting on the network: `address` and `mac` as `--ip` / `--mac-address`. */
  async start(
    network: DockerNetwork,
    options: { address?: string; mac?: string } = {},
  ): Promise<DockerEndpoint> {
    const { Address } = await this.#ok('IpamDriver.RequestAddress', {
      PoolID: network.poolId,
      Address: options.address ?? '',
      Options: null,
    })
    const id = dockerId()
    try {
      const created = await this.#ok('NetworkDriver.CreateEndpoint', {
        NetworkID: network.id,
        EndpointID: id,
        Interface: { Address, AddressIPv6: '', MacAddress: options.mac ?? '' },
        Options: { 'com.docker.network.endpoint.exposedports': [] },
      })
      try {
        const join = await this.#ok('NetworkDriver.Join', {
          NetworkID: network.id,
          EndpointID: id,
          SandboxKey: '/var/run/docker/netns/0123456789ab',
          Options: {},
        })
        return { id, address: Address, mac: created.Interface.MacAddress, join }
      } catch (error) {
        await this.plugin.call('NetworkDriver.DeleteEndpoint', {
          NetworkID: network.id,
          EndpointID: id,
        })
        throw error
      }
    } catch (error) {
      await this.plugin.call('IpamDriver.ReleaseAddress', {
        PoolID: network.poolId,
        Address: Address.split('/')[0],
      })
      throw error
    }
  }

  /** The container going away (`docker rm -f`). */
  async stop(network: DockerNetwork, endpoint: DockerEndpoint): Promise<void> {
    const ids = { NetworkID: network.id, EndpointID: endpoint.id }
    await this.#ok('NetworkDriver.RevokeExternalConnectivity', ids)
    await this.#ok('NetworkDriver.Leave', ids)
    await this.#ok('NetworkDriver.DeleteEndpoint', ids)
    await this.#ok('IpamDriver.ReleaseAddress', {
      PoolID: network.poolId,
      Address: endpoint.address.split('/')[0],
    })
  }
}
