import type { NetworkDatabase } from '../db.js'
import { parseJson } from '../common.js'
import { regionPods, regionsOf } from '../placement.js'
import { fixedIpsOf } from '../port-addresses.js'
import { renderRouters } from '../router-view.js'

/** One region's own gateway port on a subnet that spans regions (`interface_<region>_<subnet>`). */
export interface RegionGateway {
  region: string
  subnet_id: string
  port_id: string
  ip_address: string
  mac_address: string
}

/**
 * What a region needs to realize a router: the router as central shows it, plus its interfaces
 * (port, network, subnet, address, MAC) and the floating IPs it serves. The data plane builds
 * the router's namespace from this copy; `interfaces` and `floatingips` are Tricircle fields of
 * the copy, not Neutron attributes. Each interface also says which regions its network is in,
 * the CIDRs of its subnets, and every region's own gateway port on them, so a region's router
 * can reach a network it does not hold through another region's router on a network both hold.
 */
export async function routerCopy(db: NetworkDatabase, routerId: string) {
  const row = await db
    .selectFrom('routers')
    .selectAll()
    .where('id', '=', routerId)
    .executeTakeFirst()
  if (!row) return undefined
  const [view] = await renderRouters(db, [row])
  const ports = await db
    .selectFrom('router_ports')
    .innerJoin('ports', 'ports.id', 'router_ports.port_id')
    .select(['ports.id', 'ports.network_id', 'ports.mac_address', 'router_ports.port_type'])
    .where('router_ports.router_id', '=', routerId)
    .orderBy('ports.id')
    .execute()
  const ips = await fixedIpsOf(
    db,
    ports.map((p) => p.id),
  )
  const floatingips = await db
    .selectFrom('floating_ips')
    .select(['id', 'floating_ip_address', 'fixed_ip_address', 'port_id', 'floating_network_id'])
    .where('router_id', '=', routerId)
    .where('port_id', 'is not', null)
    .orderBy('id')
    .execute()
  const networkIds = [...new Set(ports.map((p) => p.network_id))]
  const [networks, subnets, gateways, pods] = networkIds.length
    ? await Promise.all([
        db
          .selectFrom('networks')
          .select(['id', 'availability_zone_hints'])
          .where('id', 'in', networkIds)
          .execute(),
        db
          .selectFrom('subnets')
          .select(['id', 'network_id', 'cidr'])
          .where('network_id', 'in', networkIds)
          .execute(),
        regionGateways(db, networkIds),
        regionPods(db),
      ])
    : [[], [], [], []]
  const regionsOfNetwork = new Map(
    networks.map((n) => [n.id, regionsOf(parseJson<string[]>(n.availability_zone_hints), pods)]),
  )
  return {
    ...view!,
    interfaces: ports.map((p) => {
      const fixedIps = ips.get(p.id) ?? []
      const subnetIds = new Set(fixedIps.map((f) => f.subnet_id))
      return {
        port_id: p.id,
        network_id: p.network_id,
        mac_address: p.mac_address,
        type: p.port_type,
        fixed_ips: fixedIps,
        cidrs: subnets.filter((s) => subnetIds.has(s.id)).map((s) => s.cidr),
        network_regions: regionsOfNetwork.get(p.network_id) ?? [],
        region_gateways: gateways.filter((g) => subnetIds.has(g.subnet_id)),
      }
    }),
    floatingips,
  }
}

/** The regions' own gateway ports on the networks' subnets, with address and MAC. */
async function regionGateways(
  db: NetworkDatabase,
  networkIds: readonly string[],
): Promise<RegionGateway[]> {
  const rows = await db
    .selectFrom('ports')
    .innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
    .select(['ports.id', 'ports.name', 'ports.mac_address', 'ip_allocations.subnet_id'])
    .select('ip_allocations.ip_address')
    .where('ports.network_id', 'in', networkIds)
    // `_` is a LIKE wildcard; the name is checked exactly below.
    .where('ports.name', 'like', 'interface_%')
    .orderBy('ports.id')
    .execute()
  const out: RegionGateway[] = []
  for (const row of rows) {
    const suffix = `_${row.subnet_id}`
    if (!row.name.startsWith('interface_') || !row.name.endsWith(suffix)) continue
    const region = row.name.slice('interface_'.length, -suffix.length)
    if (!region) continue
    out.push({
      region,
      subnet_id: row.subnet_id,
      port_id: row.id,
      ip_address: row.ip_address,
      mac_address: row.mac_address,
    })
  }
  return out
}
