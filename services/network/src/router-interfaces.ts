import { caller, type App, type AuthContext } from '@tricircle/core'
import { contains, overlaps } from '@tricircle/netaddr'
import { requireWrite } from './access.js'
import { isUuid, parseJson, tagsOf, timestamp } from './common.js'
import type { NetworkDatabase, PortRow, RouterRow, SubnetRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { badRequest } from './ipam/errors.js'
import { localRegion, regionPods, validateRouterNetworkLocation, type Pod } from './placement.js'
import { fixedIpsOf } from './port-addresses.js'
import { deletePort, getVisiblePort, insertPort } from './ports.js'
import {
  ROUTER_GATEWAY,
  ROUTER_INTERFACE,
  elevated,
  getVisibleRouter,
  hintsOf,
  lockRouter,
  queueRouterSetup,
  routerAddresses,
  touchRouter,
} from './router-db.js'
import {
  NetAttachedToNonLocalRouter,
  PortInUse,
  RouterInterfaceInUseByFloatingIP,
  RouterInterfaceInUseByRoute,
  RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet,
  SubnetMismatchForPort,
} from './router-errors.js'
import { routesThrough } from './router-extra-routes.js'
import type { ExtraRoute } from './router-view.js'
import { retryOnConflict } from './segments.js'
import { getVisibleSubnet } from './subnets.js'

/** What `add_router_interface` and `remove_router_interface` answer (Neutron's interface info). */
export interface RouterInterfaceInfo {
  id: string
  tenant_id: string
  project_id: string
  port_id: string
  network_id: string
  subnet_id: string
  subnet_ids: string[]
  tags: string[]
}

/**
 * `PUT /v2.0/routers/{id}/add_router_interface` and `…/remove_router_interface`, with the body
 * `{"subnet_id": …}` or `{"port_id": …}` unwrapped, as the CLI sends it.
 */
export function routerInterfaceRoutes(app: App, deps: NetworkDeps): void {
  const { db } = deps
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/add_router_interface', async (req) => {
    const ctx = caller(req)
    return retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        await lockRouter(trx, req.params.id)
        const router = await getVisibleRouter(trx, ctx, req.params.id)
        requireWrite(ctx, 'add_router_interface')
        return addRouterInterface(trx, deps, ctx, router, req.body)
      }),
    )
  })
  app.put<{ Params: { id: string } }>('/v2.0/routers/:id/remove_router_interface', async (req) => {
    const ctx = caller(req)
    return db.transaction().execute(async (trx) => {
      await lockRouter(trx, req.params.id)
      const router = await getVisibleRouter(trx, ctx, req.params.id)
      requireWrite(ctx, 'remove_router_interface')
      return removeRouterInterface(trx, deps, ctx, router, req.body)
    })
  })
}

/** Neutron's `_validate_interface_info`: one of subnet_id and port_id (both only to remove). */
function interfaceTarget(
  body: unknown,
  forRemoval: boolean,
): { portId?: string; subnetId?: string } {
  const info = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const hasPort = 'port_id' in info
  const hasSubnet = 'subnet_id' in info
  if (!hasPort && !hasSubnet) {
    throw badRequest('router', 'Either subnet_id or port_id must be specified')
  }
  const uuidOf = (key: 'port_id' | 'subnet_id') => {
    const value = info[key]
    if (typeof value === 'string' && isUuid(value)) return value
    throw badRequest('router', `'${pythonText(value)}' is not a valid UUID`)
  }
  const portId = hasPort ? uuidOf('port_id') : undefined
  const subnetId = hasSubnet ? uuidOf('subnet_id') : undefined
  if (!forRemoval && portId && subnetId) {
    throw badRequest('router', 'Cannot specify both subnet-id and port-id')
  }
  return { portId, subnetId }
}

const pythonText = (v: unknown): string =>
  v === null
    ? 'None'
    : v === true
      ? 'True'
      : v === false
        ? 'False'
        : typeof v === 'string'
          ? v
          : JSON.stringify(v)

/**
 * Attaches a subnet (a new port holding its gateway IP) or a port (the caller's, unattached,
 * with fixed IPs) to the router, as Neutron's `add_router_interface`, after Tricircle's checks:
 * the network's placement must suit the router's, and a network whose gateway is an interface
 * of a non-local router takes no local router. The interface is recorded in `router_ports`; the
 * pods holding the network get `router_setup` (none yet: a later binding triggers it).
 */
export async function addRouterInterface(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  router: RouterRow,
  body: unknown,
): Promise<RouterInterfaceInfo> {
  const { portId, subnetId } = interfaceTarget(body, false)
  const pods = await regionPods(trx)
  let port: PortRow
  let subnets: SubnetRow[]
  if (portId) {
    port = await getVisiblePort(trx, ctx, portId)
    if (port.device_id !== '') throw new PortInUse(port.id, port.network_id, port.device_id)
    const ips = (await fixedIpsOf(trx, [port.id])).get(port.id) ?? []
    if (ips.length === 0) {
      throw badRequest('router', 'Router port must have at least one fixed IP')
    }
    subnets = await subnetsByIds(trx, [...new Set(ips.map((f) => f.subnet_id))])
    await checkPlacement(trx, router, port.network_id, subnets, pods)
    if (ips.some((f) => f.ip_address.includes(':'))) {
      await refuseSecondIpv6Port(trx, router.id, port.network_id)
    }
    await refuseDuplicateOrOverlap(trx, router.id, subnets)
    if (subnets.filter((s) => Number(s.ip_version) === 4).length > 1) {
      throw badRequest('router', 'Cannot have multiple IPv4 subnets on router port')
    }
    port = {
      ...port,
      device_id: router.id,
      device_owner: ROUTER_INTERFACE,
      revision_number: Number(port.revision_number) + 1,
      updated_at: timestamp(deps.clock.now()),
    }
    await trx
      .updateTable('ports')
      .set({
        device_id: port.device_id,
        device_owner: port.device_owner,
        revision_number: port.revision_number,
        updated_at: port.updated_at,
      })
      .where('id', '=', port.id)
      .execute()
  } else {
    const subnet = await getVisibleSubnet(trx, ctx, subnetId as string)
    if (!subnet.gateway_ip) {
      throw badRequest('router', 'Subnet for router interface must have a gateway IP')
    }
    if (
      Number(subnet.ip_version) === 6 &&
      subnet.ipv6_ra_mode === null &&
      subnet.ipv6_address_mode !== null
    ) {
      throw badRequest(
        'router',
        `IPv6 subnet ${subnet.id} configured to receive RAs from an external router cannot be ` +
          'added to Neutron Router.',
      )
    }
    subnets = [subnet]
    await checkPlacement(trx, router, subnet.network_id, subnets, pods)
    await refuseDuplicateOrOverlap(trx, router.id, subnets)
    port = await insertPort(
      trx,
      deps,
      elevated(ctx),
      {
        network_id: subnet.network_id,
        project_id: router.project_id,
        name: '',
        admin_state_up: true,
        device_id: router.id,
        device_owner: ROUTER_INTERFACE,
        fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
      },
      { skipQuota: true },
    )
  }
  await trx
    .insertInto('router_ports')
    .values({ router_id: router.id, port_id: port.id, port_type: ROUTER_INTERFACE })
    .execute()
  const touched = await touchRouter(trx, deps, router)
  await queueRouterSetup(trx, deps, touched, port.network_id)
  const last = subnets[subnets.length - 1] as SubnetRow
  return interfaceInfo(trx, router, port, last, subnets)
}

/**
 * Detaches an interface, by port (which must be one of the router's interfaces; `subnet_id`
 * beside it must be on it) or by subnet (the interface port holding an address on it). An
 * interface that floating IPs or extra routes go through stays (409). The port is deleted, or
 * for a port on several subnets only its address on that subnet is released. The pods holding
 * the network get `router_setup`.
 */
export async function removeRouterInterface(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  router: RouterRow,
  body: unknown,
): Promise<RouterInterfaceInfo> {
  const { portId, subnetId } = interfaceTarget(body, true)
  let port: PortRow
  let subnets: SubnetRow[]
  if (portId) {
    const attached = await trx
      .selectFrom('router_ports')
      .innerJoin('ports', 'ports.id', 'router_ports.port_id')
      .selectAll('ports')
      .where('router_ports.router_id', '=', router.id)
      .where('router_ports.port_id', '=', portId)
      .where('router_ports.port_type', '=', ROUTER_INTERFACE)
      .executeTakeFirst()
    if (!attached) throw new RouterInterfaceNotFound(router.id, portId)
    port = attached
    const ips = (await fixedIpsOf(trx, [port.id])).get(port.id) ?? []
    const subnetIds = [...new Set(ips.map((f) => f.subnet_id))]
    if (subnetId && !subnetIds.includes(subnetId)) {
      throw new SubnetMismatchForPort(port.id, subnetId)
    }
    subnets = await subnetsByIds(trx, subnetIds)
    for (const subnet of subnets) await refuseInUse(trx, router, subnet)
    await detachPort(trx, deps, router.id, port)
  } else {
    const subnet = await getVisibleSubnet(trx, ctx, subnetId as string)
    await refuseInUse(trx, router, subnet)
    const found = await trx
      .selectFrom('router_ports')
      .innerJoin('ports', 'ports.id', 'router_ports.port_id')
      .innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
      .selectAll('ports')
      .where('router_ports.router_id', '=', router.id)
      .where('router_ports.port_type', '=', ROUTER_INTERFACE)
      .where('ip_allocations.subnet_id', '=', subnet.id)
      .orderBy('ports.id')
      .executeTakeFirst()
    if (!found) throw new RouterInterfaceNotFoundForSubnet(router.id, subnet.id)
    port = found
    const ips = (await fixedIpsOf(trx, [port.id])).get(port.id) ?? []
    if (new Set(ips.map((f) => f.subnet_id)).size > 1) {
      await trx
        .deleteFrom('ip_allocations')
        .where('port_id', '=', port.id)
        .where('subnet_id', '=', subnet.id)
        .execute()
      await trx
        .updateTable('ports')
        .set({
          revision_number: Number(port.revision_number) + 1,
          updated_at: timestamp(deps.clock.now()),
        })
        .where('id', '=', port.id)
        .execute()
    } else {
      await detachPort(trx, deps, router.id, port)
    }
    subnets = [subnet]
  }
  const touched = await touchRouter(trx, deps, router)
  await queueRouterSetup(trx, deps, touched, port.network_id)
  return interfaceInfo(trx, router, port, subnets[0] as SubnetRow, subnets)
}

async function interfaceInfo(
  trx: NetworkDatabase,
  router: RouterRow,
  port: PortRow,
  subnet: SubnetRow,
  subnets: readonly SubnetRow[],
): Promise<RouterInterfaceInfo> {
  const tags = await tagsOf(trx, 'ports', [port.id])
  return {
    id: router.id,
    tenant_id: port.project_id,
    project_id: port.project_id,
    port_id: port.id,
    network_id: port.network_id,
    subnet_id: subnet.id,
    subnet_ids: subnets.map((s) => s.id),
    tags: tags.get(port.id) ?? [],
  }
}

async function subnetsByIds(trx: NetworkDatabase, ids: readonly string[]): Promise<SubnetRow[]> {
  if (ids.length === 0) return []
  const rows = await trx.selectFrom('subnets').selectAll().where('id', 'in', ids).execute()
  return ids.flatMap((id) => rows.filter((r) => r.id === id))
}

/**
 * Tricircle's checks when a router meets a network: placement, and for a local router, that the
 * network's gateway is not already a non-local router's interface.
 */
async function checkPlacement(
  trx: NetworkDatabase,
  router: RouterRow,
  networkId: string,
  subnets: readonly SubnetRow[],
  pods: readonly Pod[],
): Promise<void> {
  const network = await trx
    .selectFrom('networks')
    .select('availability_zone_hints')
    .where('id', '=', networkId)
    .executeTakeFirstOrThrow()
  validateRouterNetworkLocation(hintsOf(router), hintsOf(network), pods)
  if (localRegion(hintsOf(router), pods) === undefined) return
  for (const subnet of subnets) {
    if (!subnet.gateway_ip) continue
    const holders = await trx
      .selectFrom('ip_allocations')
      .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
      .innerJoin('routers', 'routers.id', 'ports.device_id')
      .select(['routers.id', 'routers.availability_zone_hints'])
      .where('ip_allocations.subnet_id', '=', subnet.id)
      .where('ip_allocations.ip_address', '=', subnet.gateway_ip)
      .where('ports.device_owner', '=', ROUTER_INTERFACE)
      .execute()
    for (const other of holders) {
      if (other.id !== router.id && localRegion(hintsOf(other), pods) === undefined) {
        throw new NetAttachedToNonLocalRouter(networkId, other.id)
      }
    }
  }
}

/** Neutron's `_check_for_dup_router_subnets`: one port per subnet, no overlapping interfaces. */
async function refuseDuplicateOrOverlap(
  trx: NetworkDatabase,
  routerId: string,
  subnets: readonly SubnetRow[],
): Promise<void> {
  const addresses = await routerAddresses(trx, routerId)
  const wanted = new Set(subnets.map((s) => s.id))
  for (const a of addresses) {
    if (wanted.has(a.subnet_id)) {
      throw badRequest('router', `Router already has a port on subnet ${a.subnet_id}`)
    }
  }
  const seen = new Set<string>()
  for (const a of addresses) {
    if (a.port_type === ROUTER_GATEWAY || seen.has(a.subnet_id)) continue
    seen.add(a.subnet_id)
    for (const s of subnets) {
      if (overlaps(s.cidr, a.cidr)) {
        throw badRequest(
          'router',
          `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${a.cidr} of subnet ${a.subnet_id}`,
        )
      }
    }
  }
}

/** Neutron allows one router port with IPv6 subnets per network. */
async function refuseSecondIpv6Port(
  trx: NetworkDatabase,
  routerId: string,
  networkId: string,
): Promise<void> {
  for (const a of await routerAddresses(trx, routerId)) {
    if (a.port_type === ROUTER_INTERFACE && a.network_id === networkId && a.ip_version === 6) {
      throw badRequest(
        'router',
        `Cannot have multiple router ports with the same network id if both contain IPv6 ` +
          `subnets. Existing port ${a.port_id} has IPv6 subnet(s) and network id ${networkId}`,
      )
    }
  }
}

/** Neutron's `_confirm_router_interface_not_in_use` (with extraroute's check). */
async function refuseInUse(
  trx: NetworkDatabase,
  router: RouterRow,
  subnet: SubnetRow,
): Promise<void> {
  const fips = await trx
    .selectFrom('floating_ips')
    .select('fixed_ip_address')
    .where('router_id', '=', router.id)
    .execute()
  if (fips.some((f) => f.fixed_ip_address !== null && contains(subnet.cidr, f.fixed_ip_address))) {
    throw new RouterInterfaceInUseByFloatingIP(router.id, subnet.id)
  }
  if (routesThrough(parseJson<ExtraRoute[]>(router.routes), subnet.cidr)) {
    throw new RouterInterfaceInUseByRoute(router.id, subnet.id)
  }
}

async function detachPort(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  routerId: string,
  port: PortRow,
): Promise<void> {
  await trx
    .deleteFrom('router_ports')
    .where('router_id', '=', routerId)
    .where('port_id', '=', port.id)
    .execute()
  await deletePort(trx, deps, port)
}
