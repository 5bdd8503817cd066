/**
 * What the plugin must remember across restarts, since Docker replays nothing (dataplane.md §3.4
 * gotcha 5): the pools it handed out, which Neutron network and subnets back each Docker
 * network, which port holds each address it allocated (and whether it made the port or adopted
 * one), each endpoint's port, and the clean-ups it still owes the network service. Ports,
 * networks and subnets themselves live in the network service.
 *
 * One JSON file, rewritten whole for every change: a temporary file in the same directory is
 * written and flushed, then renamed over the old one, so a crash leaves either state. Changes are
 * serialized; each runs on a copy, and the copy becomes the state only once it is on disk, so a
 * failed write (or a change that throws) leaves the state as it was.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface PoolRecord {
  readonly id: string
  readonly cidr: string
  /** When Docker asked for it (ms since the epoch). */
  readonly since: number
  /** Named by an option (`neutron.subnet.uuid` …), not found by its CIDR. */
  readonly explicit: boolean
  /** The Neutron subnet behind the pool, once known (at RequestPool, else at CreateNetwork). */
  subnet?: PoolSubnet
  /** The gateway address Docker was given for the pool. */
  gateway?: string
  /** The Docker network using the pool, from CreateNetwork on. */
  dockerNetworkId?: string
}

export interface PoolSubnet {
  readonly id: string
  readonly networkId: string
  /** The region's gateway of the subnet. */
  readonly gateway: string | null
}

export interface NetworkRecord {
  /** Docker's network id. */
  readonly id: string
  readonly neutronId: string
  /** The Neutron network's project: ports made on it belong to it. */
  readonly projectId: string
  /** The plugin made the Neutron network (and deletes it with the Docker network). */
  readonly created: boolean
  /** Subnets the plugin made on a network that existed. */
  readonly createdSubnets: readonly string[]
  /** Tags the plugin put on the Neutron network. */
  readonly tags: readonly string[]
  readonly mtu: number
}

export interface AllocationRecord {
  readonly poolId: string
  readonly address: string
  readonly portId: string
  readonly mac: string
  /** The plugin made the port (released: deleted); otherwise it adopted it (released: unbound). */
  readonly created: boolean
  /** The port's `device_id` when it was allocated ('' for a port the plugin made). */
  readonly deviceId: string
  /** The endpoint using it, from CreateEndpoint to DeleteEndpoint. */
  endpointId?: string
}

export interface EndpointRecord {
  /** Docker's endpoint id. */
  readonly id: string
  /** Docker's network id. */
  readonly networkId: string
  readonly portId: string
  readonly mac: string
  readonly mtu: number
  /** The region's gateway of the port's subnet, if it has one. */
  readonly gateway: string | null
  readonly routes: readonly { readonly destination: string; readonly nexthop: string }[]
  /** The address it holds, as `allocationKey` of its pool. */
  readonly allocation: string
}

/** A change the network service still owes: retried until it succeeds. */
export type CleanupTask =
  | { readonly kind: 'delete-port'; readonly id: string }
  | { readonly kind: 'unbind-port'; readonly id: string; readonly clearDeviceId: boolean }
  | { readonly kind: 'release-port'; readonly id: string; readonly clearDeviceId: boolean }
  | { readonly kind: 'delete-subnet'; readonly id: string }
  | { readonly kind: 'delete-network'; readonly id: string }
  | { readonly kind: 'untag-network'; readonly id: string; readonly tag: string }

export interface PluginState {
  readonly version: 1
  pools: Record<string, PoolRecord>
  networks: Record<string, NetworkRecord>
  /** By `allocationKey(poolId, address)`. */
  allocations: Record<string, AllocationRecord>
  endpoints: Record<string, EndpointRecord>
  /** By `cleanupKey(task)`. */
  cleanup: Record<string, CleanupTask>
}

export const allocationKey = (poolId: string, address: string) => `${poolId} ${address}`

/** One task per object and kind; a port has one task at most (a delete replaces an unbind). */
export const cleanupKey = (task: CleanupTask): string =>
  task.kind === 'untag-network'
    ? `${task.kind} ${task.id} ${task.tag}`
    : `${task.kind.endsWith('-port') ? 'port' : task.kind} ${task.id}`

export const emptyState = (): PluginState => ({
  version: 1,
  pools: {},
  networks: {},
  allocations: {},
  endpoints: {},
  cleanup: {},
})

const FILE = 'state.json'

export class StateStore {
  #state: PluginState
  #chain: Promise<unknown> = Promise.resolve()
  #writes = 0

  private constructor(
    readonly dir: string,
    state: PluginState,
  ) {
    this.#state = state
  }

  /** The state saved in `dir` (created if missing; an empty state if there is none yet). */
  static async open(dir: string): Promise<StateStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // Temporary files of writes a crash interrupted.
    for (const name of await readdir(dir)) {
      if (name.startsWith(`${FILE}.`) && name.endsWith('.tmp')) await rm(join(dir, name))
    }
    let state = emptyState()
    try {
      const saved = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as PluginState
      if (saved.version !== 1) throw new Error(`unknown version ${String(saved.version)}`)
      state = { ...emptyState(), ...saved }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read ${join(dir, FILE)}: ${(error as Error).message}`)
      }
    }
    return new StateStore(dir, state)
  }

  /** The state as last saved. Change it only through `update`. */
  get current(): Readonly<PluginState> {
    return this.#state
  }

  /**
   * Runs `change` on a copy of the state and saves the copy; resolves with what `change` returned
   * once it is on disk. A `change` that throws saves nothing. Changes run one at a time, in the
   * order they were asked for, so a check and the write it guards are atomic.
   */
  update<T>(change: (draft: PluginState) => T): Promise<T> {
    const run = async () => {
      const draft = structuredClone(this.#state)
      const result = change(draft)
      await this.#save(draft)
      this.#state = draft
      return result
    }
    const next = this.#chain.then(run, run)
    this.#chain = next.catch(() => {})
    return next
  }

  async #save(state: PluginState): Promise<void> {
    const file = join(this.dir, FILE)
    const tmp = `${file}.${process.pid}.${++this.#writes}.tmp`
    try {
      await writeFile(tmp, JSON.stringify(state, null, 1) + '\n', { mode: 0o600, flush: true })
      await rename(tmp, file)
    } catch (error) {
      await rm(tmp, { force: true })
      throw error
    }
  }
}
