import type { AuthContext } from '@tricircle/core'
import { formatIp, parseIp } from '@tricircle/netaddr'
import { requireAdmin } from './access.js'
import { timestamp } from './common.js'
import type { NetworkDatabase, NetworkRow, RouterRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { NetworkNotFound } from './errors.js'
import { badRequest, invalidAttribute } from './ipam/errors.js'
import { canSeeNetwork } from './networks.js'
import { regionPods, validateRouterNetworkLocation } from './placement.js'
import { chooseFixedIps, fixedIpsOf, storeFixedIps, type FixedIpRequest } from './port-addresses.js'
import { deletePort, insertPort } from './ports.js'
import {
  ROUTER_GATEWAY,
  elevated,
  externalNetworkPods,
  hintsOf,
  isNonLocalRouter,
  queueConfigureRoute,
  queueRouterSetup,
  routerAddresses,
} from './router-db.js'
import { RouterExternalGatewayInUseByFloatingIp } from './router-errors.js'

/** `external_gateway_info` as a request sends it. */
export interface GatewayInfo {
  network_id?: string
  enable_snat?: boolean
  external_fixed_ips?: FixedIpRequest[]
}

/**
 * Sets, replaces or clears a router's gateway as Neutron's `_update_router_gw_info` does (with
 * ext-gw-mode), inside `trx`, and returns the router row with the gateway columns changed (not
 * yet written: the caller writes the row once). `null` or `{}` clears.
 *
 * - The network must be visible (404) and external (400); it is checked against the router's
 *   placement (Tricircle's `RouterNetworkLocationMismatch`).
 * - The gateway port is Neutron's: on the external network, `device_owner` network:router_gateway,
 *   `device_id` the router, and no project (`project_id` ''), so it is hidden from users as in
 *   Neutron; `external_fixed_ips` (admin only) choose its addresses, anything else lets IPAM pick.
 * - The same network again with other `external_fixed_ips` re-addresses the port in place;
 *   another network replaces the port; floating IPs served through the gateway make replacing or
 *   clearing it a 409 `RouterExternalGatewayInUseByFloatingIp`.
 * - `enable_snat` defaults to true whenever the gateway is set (Neutron's
 *   `enable_snat_by_default`); turning SNAT off is admin only, as in Neutron's policy.
 * - Jobs: `router_setup` for the pods of the old and of the new external network (those holding
 *   it, plus its own region) and, for a non-local router, one `configure_route` — Tricircle's
 *   reaction to any gateway change.
 */
export async function applyGateway(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  router: RouterRow,
  info: GatewayInfo | null,
  action: 'create_router' | 'update_router',
): Promise<RouterRow> {
  const networkId = info?.network_id
  const requested = info?.external_fixed_ips
  if (info && Object.keys(info).length > 0 && !networkId) {
    throw invalidAttribute(
      'external_gateway_info',
      `Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: ` +
        `{${Object.keys(info)
          .map((k) => `'${k}'`)
          .join(', ')}}`,
    )
  }
  if (requested !== undefined) {
    requireAdmin(ctx, `${action}:external_gateway_info:external_fixed_ips`)
  }
  if (info?.enable_snat === false) requireAdmin(ctx, `${action}:external_gateway_info:enable_snat`)

  let network: NetworkRow | undefined
  if (networkId) {
    network = await trx
      .selectFrom('networks')
      .selectAll()
      .where('id', '=', networkId)
      .executeTakeFirst()
    if (!network || !canSeeNetwork(ctx, network)) throw new NetworkNotFound(networkId)
    if (!network.external) {
      throw badRequest('router', `Network ${networkId} is not an external network`)
    }
    if (requested?.length) await refuseSubnetGateways(trx, networkId, requested)
    validateRouterNetworkLocation(hintsOf(router), hintsOf(network), await regionPods(trx))
  }

  const enableSnat = info?.enable_snat ?? true
  const touched: NetworkRow[] = []
  let next: RouterRow = router

  if (network && network.id === router.gw_network_id && router.gw_port_id) {
    if (requested && (await addressesChange(trx, router.gw_port_id, requested))) {
      await readdress(trx, deps, router.gw_port_id, network.id, requested)
    }
    next = { ...next, enable_snat: enableSnat }
    touched.push(network)
  } else {
    if (router.gw_network_id) {
      const old = await detachGateway(trx, deps, router)
      if (old) touched.push(old)
      next = { ...next, gw_network_id: null, gw_port_id: null }
    }
    if (network) {
      await refuseDuplicateSubnets(trx, router.id, network.id)
      const port = await insertPort(
        trx,
        deps,
        elevated(ctx),
        {
          network_id: network.id,
          project_id: '',
          name: '',
          admin_state_up: true,
          device_id: router.id,
          device_owner: ROUTER_GATEWAY,
          ...(requested === undefined ? {} : { fixed_ips: requested }),
        },
        { skipQuota: true },
      )
      await trx
        .updateTable('routers')
        .set({ gw_network_id: network.id, gw_port_id: port.id })
        .where('id', '=', router.id)
        .execute()
      await trx
        .insertInto('router_ports')
        .values({ router_id: router.id, port_id: port.id, port_type: ROUTER_GATEWAY })
        .execute()
      next = { ...next, gw_network_id: network.id, gw_port_id: port.id, enable_snat: enableSnat }
      touched.push(network)
    }
  }
  if (touched.length) await queueGatewayJobs(trx, deps, next, touched)
  return next
}

/**
 * Removes the router's gateway port (a 409 while floating IPs go through it) and returns the
 * external network it was on. The router row's gateway columns are cleared in the database.
 */
export async function detachGateway(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  router: RouterRow,
): Promise<NetworkRow | undefined> {
  if (!router.gw_network_id) return undefined
  const served = await trx
    .selectFrom('floating_ips')
    .select('id')
    .where('router_id', '=', router.id)
    .executeTakeFirst()
  if (served) throw new RouterExternalGatewayInUseByFloatingIp(router.id, router.gw_network_id)
  await trx
    .updateTable('routers')
    .set({ gw_network_id: null, gw_port_id: null })
    .where('id', '=', router.id)
    .execute()
  if (router.gw_port_id) {
    await trx
      .deleteFrom('router_ports')
      .where('router_id', '=', router.id)
      .where('port_id', '=', router.gw_port_id)
      .execute()
    const port = await trx
      .selectFrom('ports')
      .selectAll()
      .where('id', '=', router.gw_port_id)
      .executeTakeFirst()
    if (port) await deletePort(trx, deps, port)
  }
  return trx
    .selectFrom('networks')
    .selectAll()
    .where('id', '=', router.gw_network_id)
    .executeTakeFirst()
}

/** `router_setup` where each external network lives; `configure_route` for non-local routers. */
export async function queueGatewayJobs(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  router: RouterRow,
  networks: readonly NetworkRow[],
): Promise<void> {
  for (const network of networks) {
    const pods = await externalNetworkPods(trx, network)
    await queueRouterSetup(trx, deps, router, network.id, pods, { configureRoute: false })
  }
  if (await isNonLocalRouter(trx, router)) await queueConfigureRoute(trx, deps, router)
}

/** Neutron's `_validate_gw_info`: an external fixed IP may not be a subnet's gateway IP. */
async function refuseSubnetGateways(
  trx: NetworkDatabase,
  networkId: string,
  requested: readonly FixedIpRequest[],
): Promise<void> {
  const subnets = await trx
    .selectFrom('subnets')
    .select('gateway_ip')
    .where('network_id', '=', networkId)
    .execute()
  const gateways = new Set(subnets.flatMap((s) => (s.gateway_ip ? [canonical(s.gateway_ip)] : [])))
  for (const ip of requested) {
    if (ip.ip_address !== undefined && gateways.has(safeCanonical(ip.ip_address))) {
      throw badRequest('router', `External IP ${ip.ip_address} is the same as the gateway IP`)
    }
  }
}

/** Neutron's `_check_for_dup_router_subnets`: one port per subnet on a router. */
export async function refuseDuplicateSubnets(
  trx: NetworkDatabase,
  routerId: string,
  networkId: string,
): Promise<void> {
  const subnets = await trx
    .selectFrom('subnets')
    .select('id')
    .where('network_id', '=', networkId)
    .execute()
  const ids = new Set(subnets.map((s) => s.id))
  for (const a of await routerAddresses(trx, routerId)) {
    if (ids.has(a.subnet_id)) {
      throw badRequest('router', `Router already has a port on subnet ${a.subnet_id}`)
    }
  }
}

/** Neutron's `_check_for_external_ip_change`: other subnets, or other addresses, were asked. */
async function addressesChange(
  trx: NetworkDatabase,
  portId: string,
  requested: readonly FixedIpRequest[],
): Promise<boolean> {
  if (requested.length === 0) return false
  const current = (await fixedIpsOf(trx, [portId])).get(portId) ?? []
  const subnets = new Set(current.map((f) => f.subnet_id))
  const wantedSubnets = new Set(requested.flatMap((f) => (f.subnet_id ? [f.subnet_id] : [])))
  if (!sameSet(subnets, wantedSubnets)) return true
  const addresses = new Set(current.map((f) => f.ip_address))
  const wanted = new Set(
    requested.flatMap((f) => (f.ip_address ? [safeCanonical(f.ip_address)] : [])),
  )
  return !sameSet(addresses, wanted)
}

/** The gateway port's addresses replaced in place (Neutron updates the port's fixed_ips). */
async function readdress(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  portId: string,
  networkId: string,
  requested: readonly FixedIpRequest[],
): Promise<void> {
  await trx.deleteFrom('ip_allocations').where('port_id', '=', portId).execute()
  const ips = await chooseFixedIps(trx, networkId, requested, {
    deviceOwner: ROUTER_GATEWAY,
    mac: '',
  })
  await storeFixedIps(trx, portId, networkId, ips)
  const port = await trx
    .selectFrom('ports')
    .select('revision_number')
    .where('id', '=', portId)
    .executeTakeFirstOrThrow()
  await trx
    .updateTable('ports')
    .set({
      revision_number: Number(port.revision_number) + 1,
      updated_at: timestamp(deps.clock.now()),
    })
    .where('id', '=', portId)
    .execute()
}

const canonical = (ip: string) => formatIp(parseIp(ip))

function safeCanonical(ip: string): string {
  try {
    return canonical(ip)
  } catch {
    return ip
  }
}

const sameSet = (a: Set<string>, b: Set<string>) =>
  a.size === b.size && [...a].every((x) => b.has(x))
