import type { AuthContext } from '@tricircle/core'
import type { NetworkDatabase, PortRow } from '../db.js'
import type { JobHandler, JobType } from '../jobs/index.js'
import { renderNetworks } from '../networks.js'
import { renderPorts } from '../port-view.js'
import { renderSubnets } from '../subnets.js'
import { renderSecurityGroups } from '../security-groups.js'
import type { RegionClient } from './region-client.js'
import { parseJson } from '../common.js'
import { addRouting } from '../port-binding.js'
import { regionPods, regionsOf } from '../placement.js'
import { podsHolding } from '../propagation.js'
import { routerCopy } from './router-copies.js'

/** Central renders what it pushes as an admin sees it (provider and binding attributes). */
const CENTRAL: AuthContext = {
  userId: 'tricircle-central',
  projectId: '',
  roles: ['admin', 'service'],
  roleIds: [],
  methods: [],
  auditId: 'central',
  issuedAt: 0,
  expiresAt: Number.MAX_SAFE_INTEGER,
}

export const SHADOW_OWNER = 'compute:shadow'

/**
 * What each job does, level-triggered: read central's state for the job's key, make the
 * region's copies equal to it, and do nothing when they already are. A job may run any number
 * of times; the newest one for a key wins.
 */
export function jobHandlers(
  db: NetworkDatabase,
  regions: RegionClient,
): Partial<Record<JobType, JobHandler>> {
  const regionOf = async (podId: string) =>
    (
      await db
        .selectFrom('pods')
        .select('region_name')
        .where('pod_id', '=', podId)
        .executeTakeFirstOrThrow()
    ).region_name

  /**
   * A region realizing a router needs its external network where that network is placed (its
   * edge): Tricircle creates the external network and subnets in their region as soon as they
   * exist; here they follow the router that uses them.
   */
  async function ensureGatewayNetwork(
    podId: string,
    copy: NonNullable<Awaited<ReturnType<typeof routerCopy>>>,
  ): Promise<void> {
    const gateway = copy.interfaces.find((i) => i.type === 'network:router_gateway')
    if (!gateway) return
    const region = await regionOf(podId)
    const row = await db
      .selectFrom('networks')
      .selectAll()
      .where('id', '=', gateway.network_id)
      .executeTakeFirst()
    if (!row) return
    const hints = parseJson<string[]>(row.availability_zone_hints)
    if (!regionsOf(hints, await regionPods(db)).includes(region)) return
    const [network] = await renderNetworks(db, CENTRAL, [row])
    await regions.put(podId, 'network', network!)
    const subnets = await db
      .selectFrom('subnets')
      .selectAll()
      .where('network_id', '=', row.id)
      .execute()
    for (const subnet of await renderSubnets(db, subnets))
      await regions.put(podId, 'subnet', subnet)
    await addRouting(db, new Date().toISOString(), {
      id: row.id,
      podId,
      projectId: row.project_id,
      type: 'network',
    })
  }

  /** A router central no longer has: the regions' copies go, then the routings that named them. */
  async function dropRouterCopies(routerId: string, pods: readonly string[]): Promise<void> {
    for (const podId of pods) {
      await regions.remove(podId, 'router', routerId)
      await db
        .deleteFrom('resource_routings')
        .where('resource_type', '=', 'router')
        .where('top_id', '=', routerId)
        .where('pod_id', '=', podId)
        .execute()
    }
  }

  /** The router's row still exists; waits for a transaction holding its lock (a delete). */
  async function routerStillThere(routerId: string): Promise<boolean> {
    const touched = await db
      .updateTable('routers')
      .set((eb) => ({ revision_number: eb.ref('revision_number') }))
      .where('id', '=', routerId)
      .executeTakeFirst()
    return Number(touched.numUpdatedRows) > 0
  }

  return {
    /**
     * A router's copy in a region follows central (interfaces, gateway, routes, floating IPs),
     * or goes when central no longer has it; the region is recorded as holding the router.
     */
    router_setup: async ({ resource }) => {
      const podId = resource.pod_id!
      const copy = await routerCopy(db, resource.router_id!)
      if (!copy) return dropRouterCopies(resource.router_id!, [podId])
      await ensureGatewayNetwork(podId, copy)
      await regions.put(podId, 'router', copy)
      await addRouting(db, new Date().toISOString(), {
        id: copy.id,
        podId,
        projectId: copy.project_id,
        type: 'router',
      })
      // Deleted meanwhile (its delete may have found no routing of this region yet): undone
      // here. The row lock waits for a delete under way, so one of the two always sees the other.
      if (!(await routerStillThere(copy.id))) await dropRouterCopies(copy.id, [podId])
    },

    /** Every region holding a router gets its current copy (routes included). */
    configure_route: async ({ resource }) => {
      const copy = await routerCopy(db, resource.router_id!)
      const pods = await podsHolding(db, 'router', resource.router_id!)
      if (!copy) return dropRouterCopies(resource.router_id!, pods)
      for (const podId of pods) {
        await ensureGatewayNetwork(podId, copy)
        await regions.put(podId, 'router', copy)
      }
    },

    /** A network's copy follows central: updated, or removed with what hangs off it. */
    update_network: async ({ resource }) => {
      const row = await db
        .selectFrom('networks')
        .selectAll()
        .where('id', '=', resource.network_id!)
        .executeTakeFirst()
      if (!row) return regions.remove(resource.pod_id!, 'network', resource.network_id!)
      const [view] = await renderNetworks(db, CENTRAL, [row])
      await regions.put(resource.pod_id!, 'network', view!)
    },

    subnet_update: async ({ resource }) => {
      const row = await db
        .selectFrom('subnets')
        .selectAll()
        .where('id', '=', resource.subnet_id!)
        .executeTakeFirst()
      if (!row) return regions.remove(resource.pod_id!, 'subnet', resource.subnet_id!)
      const [view] = await renderSubnets(db, [row])
      await regions.put(resource.pod_id!, 'subnet', view!)
    },

    port_delete: async ({ resource }) => {
      // The port may have come back to this region meanwhile: then it stays.
      const routed = await db
        .selectFrom('resource_routings')
        .select('id')
        .where('resource_type', '=', 'port')
        .where('top_id', '=', resource.port_id!)
        .where('pod_id', '=', resource.pod_id!)
        .executeTakeFirst()
      if (!routed) await regions.remove(resource.pod_id!, 'port', resource.port_id!)
    },

    /**
     * Tricircle's shadow ports: in a region holding the network, one copy of every port bound
     * on it in another region, with the remote host's tunnel address, so the region's hosts
     * send that MAC straight to the right tunnel endpoint (L2 population across regions).
     */
    shadow_port_setup: async ({ resource }) => {
      const podId = resource.pod_id!
      const networkId = resource.network_id!
      const region = await regionOf(podId)
      const bound = await db
        .selectFrom('ports')
        .selectAll()
        .where('network_id', '=', networkId)
        .where('host_id', '<>', '')
        .execute()
      const remote = bound.filter((p) => {
        const profile = parseJson<{ region?: string }>(p.profile)
        return profile.region !== undefined && profile.region !== region
      })
      const desired = await shadowCopies(db, remote)
      const current = await regions.list(podId, 'port', {
        network_id: networkId,
        device_owner: SHADOW_OWNER,
      })
      const currentById = new Map(current.map((c) => [c.id, c]))
      for (const shadow of desired) {
        const have = currentById.get(shadow.id)
        if (!have || !sameShadow(have, shadow)) await regions.put(podId, 'port', shadow)
      }
      const wanted = new Set(desired.map((s) => s.id))
      for (const c of current) if (!wanted.has(c.id)) await regions.remove(podId, 'port', c.id)
    },

    /**
     * Every security group of the project, with its rules, in every region holding a copy of
     * any; a copy of a group deleted since is removed with its routing row.
     */
    seg_rule_setup: async ({ resource }) => {
      const projectId = resource.project_id!
      const groups = await db
        .selectFrom('security_groups')
        .selectAll()
        .where('project_id', '=', projectId)
        .execute()
      const views = await renderSecurityGroups(db, CENTRAL, groups)
      const live = new Set(groups.map((g) => g.id))
      const routings = await db
        .selectFrom('resource_routings')
        .select(['id', 'pod_id', 'top_id'])
        .where('resource_type', '=', 'security_group')
        .where((eb) =>
          eb.or([
            eb('project_id', '=', projectId),
            ...(groups.length ? [eb('top_id', 'in', [...live])] : []),
          ]),
        )
        .execute()
      for (const podId of new Set(routings.map((r) => r.pod_id))) {
        for (const view of views) await regions.put(podId, 'security_group', view)
      }
      for (const r of routings.filter((r) => !live.has(r.top_id))) {
        await regions.remove(r.pod_id, 'security_group', r.top_id)
        await db.deleteFrom('resource_routings').where('id', '=', r.id).execute()
      }
    },
  }
}

/** Shadow copies of remote ports: same id, MAC and addresses, owned `compute:shadow`. */
async function shadowCopies(db: NetworkDatabase, ports: PortRow[]) {
  const views = await renderPorts(db, CENTRAL, ports)
  return views.map((view) => {
    const profile = (view as { 'binding:profile'?: object })['binding:profile'] as {
      region?: string
      host?: string
      tunnel_ip?: string
    }
    return {
      ...view,
      name: `shadow_port_${view.id}`,
      device_owner: SHADOW_OWNER,
      status: 'ACTIVE',
      'binding:profile': {
        region: profile.region,
        host: profile.host,
        tunnel_ip: profile.tunnel_ip,
      },
    }
  })
}

/** Fields a shadow's data plane depends on. */
function sameShadow(have: Record<string, unknown>, want: Record<string, unknown>): boolean {
  const key = (v: Record<string, unknown>) =>
    JSON.stringify([v.mac_address, v.fixed_ips, v['binding:host_id'], v['binding:profile']])
  return key(have) === key(want)
}
