import { parseJson, standardView, tagsOf } from './common.js'
import type { NetworkDatabase, RouterRow } from './db.js'
import type { ListSpec } from './listing.js'
import { fixedIpsOf } from './port-addresses.js'
import { regionsHolding } from './propagation.js'

export const routerListSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    status: 'string',
    admin_state_up: 'boolean',
    distributed: 'boolean',
    ha: 'boolean',
    availability_zone_hints: 'list',
    revision_number: 'integer',
  },
}

export interface ExtraRoute {
  destination: string
  nexthop: string
}

/**
 * Routers as Neutron shows them (l3, ext-gw-mode, extraroute, router_availability_zone, dvr,
 * l3-ha, standard attributes). `availability_zones` are the regions holding a copy.
 */
export async function renderRouters(db: NetworkDatabase, rows: readonly RouterRow[]) {
  const ids = rows.map((r) => r.id)
  const gatewayPorts = rows.map((r) => r.gw_port_id).filter((id): id is string => id !== null)
  const [tags, regions, gatewayIps] = await Promise.all([
    tagsOf(db, 'routers', ids),
    regionsHolding(db, 'router', ids),
    fixedIpsOf(db, gatewayPorts),
  ])
  return rows.map((row) => ({
    ...standardView(row),
    admin_state_up: Boolean(row.admin_state_up),
    status: row.status,
    external_gateway_info:
      row.gw_network_id === null
        ? null
        : {
            network_id: row.gw_network_id,
            enable_snat: Boolean(row.enable_snat),
            external_fixed_ips: row.gw_port_id ? (gatewayIps.get(row.gw_port_id) ?? []) : [],
          },
    routes: parseJson<ExtraRoute[]>(row.routes),
    distributed: Boolean(row.distributed),
    ha: Boolean(row.ha),
    availability_zone_hints: parseJson<string[]>(row.availability_zone_hints),
    availability_zones: regions.get(row.id) ?? [],
    flavor_id: null,
    tags: tags.get(row.id) ?? [],
  }))
}
