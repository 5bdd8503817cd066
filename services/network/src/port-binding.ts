import { uuid } from '@tricircle/core'
import type { NetworkDatabase, PortRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { parseJson } from './common.js'
import { InvalidInput } from './errors.js'
import { coversRegion, regionPods } from './placement.js'
import { podsHolding } from './propagation.js'
import { queueRouterSetupForNetwork } from './router-db.js'

/** What a region reports in `binding:profile` when it binds or unbinds a port. */
export interface RegionProfile {
  region: string
  host?: string
  tunnel_ip?: string
  device?: string
  status?: string
}

export const AGENT_TYPE = 'Linux bridge agent'

export async function podOf(db: NetworkDatabase, region: string): Promise<string> {
  const pod = await db
    .selectFrom('pods')
    .select('pod_id')
    .where('region_name', '=', region)
    .executeTakeFirst()
  if (!pod) throw new InvalidInput(`region ${region} is not registered as a pod`)
  return pod.pod_id
}

/**
 * Records that `podId` holds a copy of a central resource (same id there unless `bottomId`);
 * idempotent, unless `strict`: then an existing row is a unique violation (the row is a lock).
 */
export async function addRouting(
  db: NetworkDatabase,
  now: string,
  entry: {
    id: string
    podId: string
    projectId: string
    type: string
    bottomId?: string
    strict?: boolean
  },
): Promise<void> {
  const insert = db.insertInto('resource_routings').values({
    top_id: entry.id,
    bottom_id: entry.bottomId ?? entry.id,
    pod_id: entry.podId,
    project_id: entry.projectId,
    resource_type: entry.type,
    created_at: now,
    updated_at: now,
  })
  if (entry.strict) await insert.execute()
  else {
    await insert
      .onConflict((oc) => oc.columns(['top_id', 'pod_id', 'resource_type']).doNothing())
      .execute()
  }
}

/**
 * Tricircle's reaction to a region binding a port (central `update_port` with a profile that
 * names a region): the region now holds the port, its network, subnets and security groups
 * (routing rows); the host's tunnel endpoint is remembered (shadow agent); every region holding
 * the network recomputes its shadow ports, so L2 population reaches the new port from
 * everywhere; and the project's security-group rules are synced there. A port that moves region
 * is deleted from the one it left.
 */
export async function applyRegionBinding(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  port: PortRow,
  profile: RegionProfile,
  securityGroups: readonly string[],
): Promise<void> {
  const podId = await podOf(trx, profile.region)
  // A router's gateway port belongs to no project (as in Neutron): its network's owner stands in.
  const owner =
    port.project_id ||
    (
      await trx
        .selectFrom('networks')
        .select('project_id')
        .where('id', '=', port.network_id)
        .executeTakeFirst()
    )?.project_id ||
    ''
  const now = new Date(deps.clock.now()).toISOString()
  // Bound means a host holds it; the device owner (Tricircle's `device`) does not matter here.
  const bound = Boolean(profile.host)
  const previous = await trx
    .selectFrom('resource_routings')
    .select(['pod_id'])
    .where('resource_type', '=', 'port')
    .where('top_id', '=', port.id)
    .execute()
  for (const { pod_id } of previous) {
    if (pod_id === podId && bound) continue
    await trx
      .deleteFrom('resource_routings')
      .where('resource_type', '=', 'port')
      .where('top_id', '=', port.id)
      .where('pod_id', '=', pod_id)
      .execute()
    if (pod_id !== podId) {
      await deps.jobs.enqueue(trx, {
        type: 'port_delete',
        projectId: owner,
        resource: { pod_id, port_id: port.id },
      })
    }
  }
  if (bound) {
    const network = await trx
      .selectFrom('networks')
      .select('availability_zone_hints')
      .where('id', '=', port.network_id)
      .executeTakeFirstOrThrow()
    const hints = parseJson<string[]>(network.availability_zone_hints)
    if (!coversRegion(hints, await regionPods(trx), profile.region)) {
      throw new InvalidInput(
        `network ${port.network_id} is placed in ${JSON.stringify(hints)}; ` +
          `its ports cannot be bound in ${profile.region}`,
      )
    }
    const subnets = await trx
      .selectFrom('ip_allocations')
      .select('subnet_id')
      .distinct()
      .where('port_id', '=', port.id)
      .execute()
    const entries = [
      { id: port.id, type: 'port' },
      { id: port.network_id, type: 'network' },
      ...subnets.map((s) => ({ id: s.subnet_id, type: 'subnet' })),
      ...securityGroups.map((id) => ({ id, type: 'security_group' })),
    ]
    for (const e of entries) {
      await addRouting(trx, now, { ...e, podId, projectId: owner })
    }
    // The first port of a network in a region is what brings its routers there.
    await queueRouterSetupForNetwork(trx, deps, port.network_id, owner)
    if (profile.host && profile.tunnel_ip) {
      await upsertShadowAgent(trx, podId, profile.host, profile.tunnel_ip)
    }
    if (securityGroups.length) {
      await deps.jobs.enqueue(trx, {
        type: 'seg_rule_setup',
        projectId: owner,
        resource: { project_id: owner },
      })
    }
  }
  await queueShadowPorts(trx, deps, port.network_id, owner)
}

/** Every region holding the network recomputes its shadow ports. */
export async function queueShadowPorts(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  networkId: string,
  projectId: string,
): Promise<void> {
  for (const pod_id of await podsHolding(trx, 'network', networkId)) {
    await deps.jobs.enqueue(trx, {
      type: 'shadow_port_setup',
      projectId,
      resource: { pod_id, network_id: networkId },
    })
  }
}

async function upsertShadowAgent(
  db: NetworkDatabase,
  podId: string,
  host: string,
  tunnelIp: string,
) {
  const existing = await db
    .selectFrom('shadow_agents')
    .select(['id', 'tunnel_ip', 'pod_id'])
    .where('host', '=', host)
    .where('type', '=', AGENT_TYPE)
    .executeTakeFirst()
  if (!existing) {
    await db
      .insertInto('shadow_agents')
      .values({ id: uuid(), pod_id: podId, host, type: AGENT_TYPE, tunnel_ip: tunnelIp })
      .onConflict((oc) => oc.columns(['host', 'type']).doNothing())
      .execute()
  } else if (existing.tunnel_ip !== tunnelIp || existing.pod_id !== podId) {
    await db
      .updateTable('shadow_agents')
      .set({ tunnel_ip: tunnelIp, pod_id: podId })
      .where('id', '=', existing.id)
      .execute()
  }
}
