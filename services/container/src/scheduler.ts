/**
 * Placement within the region: a compute host that is up (heard from within the service-down
 * time, not forced down, not disabled) with free cpu and memory for the container (capacity
 * times the allocation ratios, as Nova and Zun overcommit), the least loaded first. A requested host or availability zone narrows the choice.
 */
import type { HostCapacity } from './agent-contract.js'
import type { ContainerDatabase, ComputeHostRow } from './db.js'

export interface PlacementRequest {
  cpu: number
  memory?: number
  host?: string
  availabilityZone?: string
}

export const NO_HOST_REASON = 'There are not enough hosts available.'

/** Whether the host's agent counts as alive now. */
export function isUp(host: ComputeHostRow, now: number, downSeconds: number): boolean {
  return host.forced_down === 0 && now - Date.parse(host.last_seen_up) <= downSeconds * 1000
}

/** Cpu and memory (MiB) taken by the containers placed on each host. */
export async function usageByHost(
  db: ContainerDatabase,
): Promise<Map<string, { cpu: number; memory: number; containers: number }>> {
  const rows = await db
    .selectFrom('containers')
    .select(['host', 'cpu', 'memory'])
    .where('host', 'is not', null)
    .execute()
  const usage = new Map<string, { cpu: number; memory: number; containers: number }>()
  for (const row of rows) {
    const u = usage.get(row.host!) ?? { cpu: 0, memory: 0, containers: 0 }
    u.cpu += Number(row.cpu)
    u.memory += Number(row.memory ?? 0)
    u.containers++
    usage.set(row.host!, u)
  }
  return usage
}

/** The host to place on, or undefined when none fits. */
export async function chooseHost(
  db: ContainerDatabase,
  request: PlacementRequest,
  now: number,
  policy: { serviceDownSeconds: number; cpuAllocationRatio: number; ramAllocationRatio: number },
): Promise<string | undefined> {
  const hosts = await db.selectFrom('compute_hosts').selectAll().execute()
  const usage = await usageByHost(db)
  const fits = hosts
    .filter((h) => h.disabled === 0 && isUp(h, now, policy.serviceDownSeconds))
    .filter(
      (h) => request.host === undefined || h.hostname === request.host || h.uuid === request.host,
    )
    .filter((h) => !request.availabilityZone || h.availability_zone === request.availabilityZone)
    .map((h) => {
      const capacity = JSON.parse(h.capacity) as HostCapacity
      const used = usage.get(h.hostname) ?? { cpu: 0, memory: 0, containers: 0 }
      return {
        hostname: h.hostname,
        freeCpu: capacity.cpus * policy.cpuAllocationRatio - used.cpu,
        freeMemory: capacity.mem_total * policy.ramAllocationRatio - used.memory,
      }
    })
    .filter((h) => h.freeCpu + 1e-9 >= request.cpu && h.freeMemory >= (request.memory ?? 0))
    .sort(
      (a, b) =>
        b.freeMemory - a.freeMemory ||
        b.freeCpu - a.freeCpu ||
        a.hostname.localeCompare(b.hostname),
    )
  return fits[0]?.hostname
}
