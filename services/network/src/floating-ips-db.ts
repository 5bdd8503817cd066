import { isAdmin, type AuthContext } from '@tricircle/core'
import { formatIp } from '@tricircle/netaddr'
import { standardView, tagsOf, timestamp } from './common.js'
import type { FloatingIpRow, NetworkDatabase, PortRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { FloatingIPNotFound } from './errors.js'
import { parseAddressAttr } from './ipam/common.js'
import { badRequest } from './ipam/errors.js'
import type { ListSpec } from './listing.js'
import { fixedIpsOf } from './port-addresses.js'
import { getVisiblePort } from './ports.js'
import { podsHolding } from './propagation.js'
import { ROUTER_INTERFACE, lockPort, lockRouter, queueRouterSetup } from './router-db.js'
import {
  ExternalGatewayForFloatingIPNotFound,
  FloatingIPPortAlreadyAssociated,
} from './router-errors.js'

export const floatingIpListSpec: ListSpec = {
  attributes: {
    id: 'string',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    floating_ip_address: 'string',
    floating_network_id: 'string',
    router_id: 'string',
    port_id: 'string',
    fixed_ip_address: 'string',
    status: 'string',
    revision_number: 'integer',
  },
}

/** The floating IP if the caller may see it (its project's, or any for admins); else 404. */
export async function getVisibleFloatingIp(
  db: NetworkDatabase,
  ctx: AuthContext,
  id: string,
): Promise<FloatingIpRow> {
  const row = await db
    .selectFrom('floating_ips')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId)) throw new FloatingIPNotFound(id)
  return row
}

/**
 * Takes the floating IP's row lock for the transaction. Locks are taken in the order floating
 * IP, internal port, router everywhere (a port delete disassociates — updates the floating IPs —
 * before deleting the port), so concurrent requests wait instead of deadlocking.
 */
export async function lockFloatingIp(trx: NetworkDatabase, id: string): Promise<void> {
  await trx
    .updateTable('floating_ips')
    .set((eb) => ({ revision_number: eb.ref('revision_number') }))
    .where('id', '=', id)
    .execute()
}

/** Floating IPs as Neutron shows them, with `port_details` (fip-port-details) and tags. */
export async function renderFloatingIps(db: NetworkDatabase, rows: readonly FloatingIpRow[]) {
  const ids = rows.map((r) => r.id)
  const portIds = [...new Set(rows.map((r) => r.port_id).filter((id): id is string => id !== null))]
  const [tags, ports] = await Promise.all([
    tagsOf(db, 'floatingips', ids),
    portIds.length
      ? db
          .selectFrom('ports')
          .select([
            'id',
            'name',
            'network_id',
            'mac_address',
            'admin_state_up',
            'status',
            'device_id',
            'device_owner',
          ])
          .where('id', 'in', portIds)
          .execute()
      : Promise.resolve([]),
  ])
  const byId = new Map(ports.map((p) => [p.id, p]))
  return rows.map((row) => {
    const port = row.port_id === null ? undefined : byId.get(row.port_id)
    return {
      ...standardView(row),
      floating_ip_address: row.floating_ip_address,
      floating_network_id: row.floating_network_id,
      router_id: row.router_id,
      port_id: row.port_id,
      fixed_ip_address: row.fixed_ip_address,
      status: row.status,
      port_details: port
        ? {
            name: port.name,
            network_id: port.network_id,
            mac_address: port.mac_address,
            admin_state_up: Boolean(port.admin_state_up),
            status: port.status,
            device_id: port.device_id,
            device_owner: port.device_owner,
          }
        : null,
      tags: tags.get(row.id) ?? [],
    }
  })
}

/** Where a floating IP points: an internal port, one of its IPv4 addresses, the router. */
export interface Association {
  port: PortRow
  fixedIp: string
  routerId: string
}

/**
 * Neutron's `_get_assoc_data`: the internal port must be visible to the caller (404) and, unless
 * an admin asks, the floating IP's project's; the fixed IP must be one of the port's IPv4
 * addresses (the only one, when none is named); a router must reach the floating IP's network
 * from that address's subnet (`get_router_for_floatingip`: an interface on the subnet and the
 * gateway on the network, the one holding the subnet's gateway IP preferred); and no other
 * floating IP on that network may already use the fixed IP.
 */
export async function resolveAssociation(
  trx: NetworkDatabase,
  ctx: AuthContext,
  fip: Pick<FloatingIpRow, 'id' | 'project_id' | 'floating_network_id' | 'floating_ip_address'>,
  portId: string,
  fixedIpAddress: string | null | undefined,
): Promise<Association> {
  await lockPort(trx, portId)
  const port = await getVisiblePort(trx, ctx, portId)
  if (port.project_id !== fip.project_id && !isAdmin(ctx)) {
    throw badRequest(
      'floatingip',
      `Cannot process floating IP association with Port ${port.id}, since that port is owned ` +
        'by a different tenant',
    )
  }
  const ips = (await fixedIpsOf(trx, [port.id])).get(port.id) ?? []
  let fixed: { subnet_id: string; ip_address: string }
  if (fixedIpAddress) {
    const parsed = parseAddressAttr('fixed_ip_address', fixedIpAddress)
    if (parsed.version !== 4) {
      throw badRequest(
        'floatingip',
        `Cannot process floating IP association with ${fixedIpAddress}, since that is not an ` +
          'IPv4 address',
      )
    }
    const match = ips.find((f) => f.ip_address === formatIp(parsed))
    if (!match) {
      throw badRequest('floatingip', `Port ${port.id} does not have fixed ip ${fixedIpAddress}`)
    }
    fixed = match
  } else {
    const v4 = ips.filter((f) => !f.ip_address.includes(':'))
    if (v4.length === 0) {
      throw badRequest(
        'floatingip',
        `Cannot add floating IP to port ${port.id} that has no fixed IPv4 addresses`,
      )
    }
    if (v4.length > 1) {
      throw badRequest(
        'floatingip',
        `Port ${port.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 ` +
          'address when assigning a floating IP',
      )
    }
    fixed = v4[0] as { subnet_id: string; ip_address: string }
  }
  // Found, locked, found again: an interface or gateway removed meanwhile is seen.
  let routerId = await routerForFloatingIp(trx, port, fixed.subnet_id, fip.floating_network_id)
  await lockRouter(trx, routerId)
  routerId = await routerForFloatingIp(trx, port, fixed.subnet_id, fip.floating_network_id)
  const other = await trx
    .selectFrom('floating_ips')
    .select('id')
    .where('port_id', '=', port.id)
    .where('floating_network_id', '=', fip.floating_network_id)
    .where('fixed_ip_address', '=', fixed.ip_address)
    .where('id', '<>', fip.id)
    .executeTakeFirst()
  if (other) {
    throw new FloatingIPPortAlreadyAssociated({
      floatingIpAddress: fip.floating_ip_address,
      fipId: fip.id,
      portId: port.id,
      fixedIp: fixed.ip_address,
      networkId: fip.floating_network_id,
    })
  }
  return { port, fixedIp: fixed.ip_address, routerId }
}

async function routerForFloatingIp(
  trx: NetworkDatabase,
  port: PortRow,
  subnetId: string,
  externalNetworkId: string,
): Promise<string> {
  const candidates = await trx
    .selectFrom('router_ports')
    .innerJoin('ports', 'ports.id', 'router_ports.port_id')
    .innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
    .innerJoin('routers', 'routers.id', 'router_ports.router_id')
    .select(['router_ports.router_id', 'ip_allocations.ip_address'])
    .where('ports.network_id', '=', port.network_id)
    .where('router_ports.port_type', '=', ROUTER_INTERFACE)
    .where('ip_allocations.subnet_id', '=', subnetId)
    .where('routers.gw_network_id', '=', externalNetworkId)
    .orderBy('router_ports.router_id')
    .execute()
  const subnet = await trx
    .selectFrom('subnets')
    .select('gateway_ip')
    .where('id', '=', subnetId)
    .executeTakeFirst()
  const chosen =
    candidates.find((c) => subnet?.gateway_ip != null && c.ip_address === subnet.gateway_ip) ??
    candidates[0]
  if (!chosen) throw new ExternalGatewayForFloatingIPNotFound(externalNetworkId, subnetId, port.id)
  return chosen.router_id
}

/**
 * Tricircle's reaction to an association or disassociation: `router_setup(pod, router, network
 * of the internal port)` for each pod holding the internal port (none while it is unbound; its
 * binding triggers the setup later). Nothing if the port or router is gone.
 */
export async function queueFloatingIpSetup(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  routerId: string,
  portId: string,
): Promise<void> {
  const port = await trx
    .selectFrom('ports')
    .select('network_id')
    .where('id', '=', portId)
    .executeTakeFirst()
  const router = await trx
    .selectFrom('routers')
    .selectAll()
    .where('id', '=', routerId)
    .executeTakeFirst()
  if (!port || !router) return
  await queueRouterSetup(trx, deps, router, port.network_id, await podsHolding(trx, 'port', portId))
}

/**
 * Neutron's `disassociate_floatingips`: every floating IP pointing at the port lets go of it
 * (status DOWN). Call it before deleting the port (a floating IP's `port_id` references it) and
 * before dropping the port's routing rows: with `deps`, the pods holding the port get
 * `router_setup` so they remove the floating IP there. Returns the routers that served them.
 */
export async function disassociateFloatingIps(
  trx: NetworkDatabase,
  portId: string,
  deps?: NetworkDeps,
): Promise<string[]> {
  const rows = await trx
    .selectFrom('floating_ips')
    .selectAll()
    .where('port_id', '=', portId)
    .execute()
  const now = timestamp(deps ? deps.clock.now() : Date.now())
  const routers = new Set<string>()
  for (const row of rows) {
    if (row.router_id) routers.add(row.router_id)
    await trx
      .updateTable('floating_ips')
      .set({
        port_id: null,
        fixed_ip_address: null,
        router_id: null,
        status: 'DOWN',
        revision_number: Number(row.revision_number) + 1,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute()
  }
  if (deps) {
    for (const routerId of routers) await queueFloatingIpSetup(trx, deps, routerId, portId)
  }
  return [...routers].sort()
}
