import type { NetworkDatabase } from '../db.js'
import { fixedIpsOf } from '../port-addresses.js'
import { renderRouters } from '../router-view.js'

/**
 * What a region needs to realize a router: the router as central shows it, plus its interfaces
 * (port, network, subnet, address, MAC) and the floating IPs it serves. The data plane builds
 * the router's namespace from this copy; `interfaces` and `floatingips` are Tricircle fields of
 * the copy, not Neutron attributes.
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
  return {
    ...view!,
    interfaces: ports.map((p) => ({
      port_id: p.id,
      network_id: p.network_id,
      mac_address: p.mac_address,
      type: p.port_type,
      fixed_ips: ips.get(p.id) ?? [],
    })),
    floatingips,
  }
}
