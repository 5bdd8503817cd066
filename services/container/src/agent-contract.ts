/**
 * What the container service and a host's compute agent say to each other. The agent reads the
 * containers placed on its host (a long poll that returns when any changes), carries out each
 * one's pending operation on its engine, and reports what it observes; the service keeps the
 * desired state, the agent the actual one. Routes live under `/v1/os-tricircle/` and need the
 * `service` (or admin) role.
 */

/** A network the container is to be on, resolved to ids by the API when the container was made. */
export interface RequestedNetwork {
  network: string
  /** A port the user gave (kept on delete), or the one the agent made (recorded when made). */
  port?: string
  fixed_ip?: string
  /** True for a port the user brought: unbound, not deleted, when the container goes. */
  preserve_on_delete: boolean
}

export interface AddressEntry {
  addr: string
  version: 4 | 6
  port: string
  subnet_id: string
  preserve_on_delete: boolean
}

/** Net id → its addresses, as Zun shows `addresses`. */
export type Addresses = Record<string, AddressEntry[]>

/** One thing to do to a container; `id` is unique, so a report can say which it finished. */
export type PendingOperation = { id: string } & (
  | { op: 'create'; run: boolean }
  | { op: 'start' }
  | { op: 'stop'; timeout: number }
  | { op: 'reboot'; timeout: number }
  | { op: 'pause' }
  | { op: 'unpause' }
  | { op: 'kill'; signal?: string }
  | { op: 'rebuild'; image?: string; imageId?: string; run: boolean }
  | { op: 'delete'; force: boolean; stop: boolean }
  | { op: 'update'; cpu?: number; memory?: number }
  | { op: 'network_attach'; network: string; port?: string; fixed_ip?: string }
  | { op: 'network_detach'; network?: string; port?: string }
)

/** A container as its host's agent reads it. */
export interface HostContainer {
  uuid: string
  name: string
  project_id: string
  user_id: string
  image: string
  image_id: string | null
  command: string[] | null
  entrypoint: string[] | null
  cpu: number
  /** MiB. */
  memory: number | null
  environment: Record<string, string>
  workdir: string | null
  labels: Record<string, string>
  restart_policy: { Name: string; MaximumRetryCount: number } | null
  interactive: boolean
  tty: boolean
  hostname: string | null
  auto_remove: boolean
  security_groups: string[]
  requested_networks: RequestedNetwork[]
  addresses: Addresses | null
  status: string
  task_state: string | null
  pending: PendingOperation | null
  docker_id: string | null
}

export interface HostContainersResponse {
  revision: string
  containers: HostContainer[]
}

/** What an agent says about its host in each heartbeat. */
export interface HostReport {
  agent_url: string
  availability_zone?: string
  capacity: HostCapacity
}

export interface HostCapacity {
  cpus: number
  cpu_used: number
  mem_total: number
  mem_used: number
  disk_total: number
  disk_used: number
  total_containers: number
  architecture: string
  os_type: string
  os: string
  kernel_version: string
  runtimes: string[]
}

/** What an agent observed of one container, and which operation (if any) it finished. */
export interface ContainerReport {
  /** The pending operation this report closes; it is cleared only if still the same. */
  done?: string
  status?: string
  status_reason?: string | null
  status_detail?: string | null
  task_state?: string | null
  addresses?: Addresses | null
  requested_networks?: RequestedNetwork[]
  ports?: number[]
  hostname?: string | null
  docker_id?: string | null
  started_at?: string | null
  /** The container is gone from the host after a delete: the row goes too. */
  deleted?: boolean
}
