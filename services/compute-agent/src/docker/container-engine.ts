import type { Readable } from 'node:stream'
import type { ContainerArchive } from './archive.js'
import type { ContainerSpec } from './container-spec.js'
import type { ExecResult } from './exec.js'
import type { NeutronNetwork } from './network.js'
import type { ZunStats } from './stats.js'
import type { ZunStatus } from './status.js'

/** A container as the engine has it, read for Zun. */
export interface EngineContainer {
  dockerId: string
  status: ZunStatus
  status_detail: string | null
  /** Ports the image or the create exposed (Config.ExposedPorts), as Zun lists them. */
  ports: number[]
  hostname: string
  running: boolean
  exitCode: number
  /** When it last started (ISO 8601), null if it never did. */
  startedAt: string | null
  tty: boolean
}

/** One container the agent made, found by its label. */
export interface EngineContainerSummary {
  uuid: string
  dockerId: string
  /** Docker's state word: created, running, paused, restarting, removing, exited, dead. */
  state: string
  labels: Record<string, string>
}

export interface LogOptions {
  stdout: boolean
  stderr: boolean
  timestamps: boolean
  tail: 'all' | number
  /** Unix seconds. */
  since?: number
}

/** `docker top`: column titles and one row per process. */
export interface ProcessList {
  Titles: string[]
  Processes: string[][]
}

export interface ResourceUpdate {
  cpu?: number
  memoryMiB?: number
}

/**
 * What the compute agent does to containers on its host's engine. Containers are addressed by
 * Zun uuid (the engine names them `zun-<uuid>`); a missing one is `ContainerNotFoundOnEngine`.
 * Operations that find the container already in the asked-for state succeed.
 */
export interface ContainerEngine {
  /** The Docker network id for a Neutron network, made with the kuryr drivers if missing. */
  ensureNetwork(network: NeutronNetwork): Promise<string>
  /** Kuryr networks on the engine that no container is attached to, by name (the network id). */
  unusedNetworks(): Promise<{ id: string; name: string }[]>
  /** Removes an engine network; one already gone is fine. */
  removeNetwork(id: string): Promise<void>
  /** Creates (does not start) the container; returns its Docker id. */
  create(spec: ContainerSpec): Promise<string>
  /** Undefined when the engine has no such container. */
  inspect(uuid: string): Promise<EngineContainer | undefined>
  /** Every container the agent made, in any state. */
  list(): Promise<EngineContainerSummary[]>
  start(uuid: string): Promise<void>
  stop(uuid: string, timeoutSeconds?: number): Promise<void>
  restart(uuid: string, timeoutSeconds?: number): Promise<void>
  pause(uuid: string): Promise<void>
  unpause(uuid: string): Promise<void>
  kill(uuid: string, signal?: string): Promise<void>
  remove(uuid: string, options: { force: boolean }): Promise<void>
  update(uuid: string, resources: ResourceUpdate): Promise<void>
  logs(uuid: string, options: LogOptions): Promise<string>
  exec(uuid: string, command: string[]): Promise<ExecResult>
  top(uuid: string, psArgs?: string): Promise<ProcessList>
  stats(uuid: string): Promise<ZunStats>
  getArchive(uuid: string, path: string): Promise<ContainerArchive>
  putArchive(uuid: string, path: string, tar: Buffer): Promise<void>
  /** Returns the new image's id (`sha256:…`). */
  commit(uuid: string, image: { repository: string; tag: string }): Promise<string>
  /** `docker save` of one image, a tar stream. */
  saveImage(ref: string): Promise<Readable>
  connect(uuid: string, network: { networkId: string; ipv4Address?: string }): Promise<void>
  disconnect(uuid: string, networkId: string, options: { force: boolean }): Promise<void>
}
