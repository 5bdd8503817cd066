import type { HostContainer, PendingOperation, RequestedNetwork } from '../agent-contract.js'
import type { ContainerRow } from '../db.js'

const json = <T>(text: string | null, empty: T): T => (text ? (JSON.parse(text) as T) : empty)

/** The container as Zun's `containers_view` shows it, every key at every version. */
export function toContainer(row: ContainerRow, base: string): Record<string, unknown> {
  const restart = json<{ Name: string; MaximumRetryCount: number } | null>(row.restart_policy, null)
  return {
    uuid: row.uuid,
    links: [
      { href: `${base}/v1/containers/${row.uuid}`, rel: 'self' },
      { href: `${base}/containers/${row.uuid}`, rel: 'bookmark' },
    ],
    name: row.name,
    image: row.image,
    command: json<string[] | null>(row.command, null),
    entrypoint: json<string[] | null>(row.entrypoint, null),
    status: row.status,
    status_reason: row.status_reason,
    status_detail: row.status_detail,
    task_state: row.task_state,
    cpu: Number(row.cpu),
    cpu_policy: 'shared',
    memory: row.memory,
    disk: Number(row.disk),
    environment: json(row.environment, {}),
    workdir: row.workdir,
    labels: json(row.labels, {}),
    ports: json(row.ports, []),
    hostname: row.hostname,
    addresses: json(row.addresses, null),
    image_pull_policy: row.image_pull_policy,
    host: row.host,
    restart_policy: restart
      ? { Name: restart.Name, MaximumRetryCount: String(restart.MaximumRetryCount) }
      : null,
    interactive: row.interactive === 1,
    tty: row.tty === 1,
    image_driver: row.image_driver,
    security_groups: json(row.security_groups, []),
    auto_remove: row.auto_remove === 1,
    auto_heal: row.auto_heal === 1,
    runtime: row.runtime ?? 'runc',
    privileged: row.privileged === 1,
    healthcheck: {},
    registry_id: null,
    user_id: row.user_id,
    project_id: row.project_id,
    created_at: zunTime(row.created_at),
    updated_at: zunTime(row.updated_at),
  }
}

/** Zun shows times without the `Z` and with microseconds dropped: `2026-11-26T06:01:10+00:00`. */
export const zunTime = (iso: string | null): string | null =>
  iso === null ? null : `${iso.slice(0, 19)}+00:00`

/** The container as its host's agent reads it. */
export function toHostContainer(row: ContainerRow): HostContainer {
  return {
    uuid: row.uuid,
    name: row.name,
    project_id: row.project_id,
    user_id: row.user_id,
    image: row.image,
    image_id: row.image_id,
    command: json<string[] | null>(row.command, null),
    entrypoint: json<string[] | null>(row.entrypoint, null),
    cpu: Number(row.cpu),
    memory: row.memory === null ? null : Number(row.memory),
    environment: json(row.environment, {}),
    workdir: row.workdir,
    labels: json(row.labels, {}),
    restart_policy: json(row.restart_policy, null),
    interactive: row.interactive === 1,
    tty: row.tty === 1,
    hostname: row.hostname,
    auto_remove: row.auto_remove === 1,
    security_groups: json(row.security_groups, []),
    requested_networks: json<RequestedNetwork[]>(row.requested_networks, []),
    addresses: json(row.addresses, null),
    status: row.status,
    task_state: row.task_state,
    pending: json<PendingOperation | null>(row.pending, null),
    docker_id: row.docker_id,
  }
}
