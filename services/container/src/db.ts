import type { Kysely } from '@tricircle/store'

/**
 * The container service's tables, one database per region. Times are ISO-8601 text with
 * milliseconds, flags integers 0/1, structured fields JSON text. Rows become API objects in
 * `containers/view.ts`.
 */
export interface ContainerDb {
  containers: ContainerRow
  compute_hosts: ComputeHostRow
  quotas: QuotaRow
  quota_classes: QuotaClassRow
  container_actions: ContainerActionRow
}

export type ContainerDatabase = Kysely<ContainerDb>

export interface ContainerRow {
  uuid: string
  name: string
  project_id: string
  user_id: string
  image: string
  /** The image service's id `image` resolved to, for the caller, when the container was made. */
  image_id: string | null
  image_driver: string | null
  image_pull_policy: string | null
  /** JSON array or null. */
  command: string | null
  entrypoint: string | null
  cpu: number
  memory: string | null
  disk: number
  environment: string
  workdir: string | null
  labels: string
  restart_policy: string | null
  interactive: number
  tty: number
  hostname: string | null
  auto_remove: number
  auto_heal: number
  privileged: number
  runtime: string | null
  availability_zone: string | null
  /** JSON array of security group ids (every port gets them). */
  security_groups: string
  /** JSON array of `RequestedNetwork`, resolved to ids by the API. */
  requested_networks: string
  /** JSON object net id → addresses, or null until the agent made the ports. */
  addresses: string | null
  /** JSON array of exposed ports (numbers), from the engine. */
  ports: string
  host: string | null
  status: string
  status_reason: string | null
  status_detail: string | null
  task_state: string | null
  /** JSON `PendingOperation` the host's agent must carry out, or null. */
  pending: string | null
  docker_id: string | null
  started_at: string | null
  created_at: string
  updated_at: string
}

export interface ComputeHostRow {
  uuid: string
  hostname: string
  /** JSON `HostCapacity` as the agent last reported it. */
  capacity: string
  /** The agent's own API (logs, exec, archive…), reached with the service token. */
  agent_url: string
  availability_zone: string
  report_count: number
  disabled: number
  disabled_reason: string | null
  forced_down: number
  last_seen_up: string
  created_at: string
  updated_at: string
}

export interface QuotaRow {
  project_id: string
  resource: string
  hard_limit: number
}

export interface QuotaClassRow {
  class_name: string
  resource: string
  hard_limit: number
}

export interface ContainerActionRow {
  id: number | undefined
  request_id: string
  container_uuid: string
  action: string
  project_id: string
  user_id: string
  message: string | null
  start_time: string
  finish_time: string | null
}
