import type { Kysely } from '@tricircle/store'
import type { TricircleTables } from './admin/db.js'

/**
 * The central network service's tables: Neutron's resources, normalised enough that the
 * database itself keeps IPAM honest (an address is a primary key per subnet, a MAC unique per
 * network, a VXLAN VNI unique among networks). Times are ISO-8601 text (`isoSeconds`), flags are
 * booleans (0/1 on SQLite, so row mappers apply Boolean()), lists and maps are JSON text.
 */
export interface NeutronTables {
  networks: NetworkRow
  subnets: SubnetRow
  subnetpools: SubnetPoolRow
  ports: PortRow
  ip_allocations: IpAllocationRow
  port_security_groups: { port_id: string; security_group_id: string }
  security_groups: SecurityGroupRow
  default_security_groups: { project_id: string; security_group_id: string }
  security_group_rules: SecurityGroupRuleRow
  routers: RouterRow
  router_ports: { router_id: string; port_id: string; port_type: string }
  floating_ips: FloatingIpRow
  tags: { resource_type: string; resource_id: string; tag: string }
  quotas: { project_id: string; resource: string; hard_limit: number }
}

export type NetworkDb = NeutronTables & TricircleTables
/** The database or a transaction on it (a transaction is a `Kysely` too). */
export type NetworkDatabase = Kysely<NetworkDb>

type Flag = boolean | number

/** Columns every Neutron resource has ("standard attributes"). */
interface Standard {
  id: string
  project_id: string
  name: string
  description: string
  revision_number: number
  created_at: string
  updated_at: string
}

export interface NetworkRow extends Standard {
  admin_state_up: Flag
  status: string
  shared: Flag
  external: Flag
  mtu: number
  port_security_enabled: Flag
  /** JSON array of region or availability-zone names; fixed at create time. */
  availability_zone_hints: string
  network_type: string
  physical_network: string | null
  segmentation_id: number | null
}

export interface SubnetRow extends Standard {
  network_id: string
  ip_version: number
  cidr: string
  gateway_ip: string | null
  enable_dhcp: Flag
  ipv6_ra_mode: string | null
  ipv6_address_mode: string | null
  subnetpool_id: string | null
  /** JSON `[{start, end}]`. */
  allocation_pools: string
  /** JSON string array. */
  dns_nameservers: string
  /** JSON `[{destination, nexthop}]`. */
  host_routes: string
  service_types: string
}

export interface SubnetPoolRow extends Standard {
  ip_version: number
  /** JSON string array of CIDRs. */
  prefixes: string
  default_prefixlen: number
  min_prefixlen: number
  max_prefixlen: number
  shared: Flag
  is_default: Flag
  address_scope_id: string | null
  default_quota: number | null
}

export interface PortRow extends Standard {
  network_id: string
  mac_address: string
  admin_state_up: Flag
  status: string
  device_id: string
  device_owner: string
  host_id: string
  vif_type: string
  /** JSON object. */
  vif_details: string
  vnic_type: string
  /** JSON object: what the region that bound the port reported (region, host, tunnel_ip…). */
  profile: string
  port_security_enabled: Flag
  /** JSON `[{ip_address, mac_address}]`. */
  allowed_address_pairs: string
  extra_dhcp_opts: string
}

export interface IpAllocationRow {
  port_id: string
  subnet_id: string
  network_id: string
  ip_address: string
}

export interface SecurityGroupRow extends Standard {
  stateful: Flag
}

export interface SecurityGroupRuleRow {
  id: string
  project_id: string
  security_group_id: string
  direction: string
  ethertype: string
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  remote_group_id: string | null
  description: string
  revision_number: number
  created_at: string
  updated_at: string
}

export interface RouterRow extends Standard {
  admin_state_up: Flag
  status: string
  gw_network_id: string | null
  gw_port_id: string | null
  enable_snat: Flag
  /** JSON `[{destination, nexthop}]`. */
  routes: string
  availability_zone_hints: string
  distributed: Flag
  ha: Flag
}

export interface FloatingIpRow {
  id: string
  project_id: string
  floating_network_id: string
  floating_ip_address: string
  floating_port_id: string
  port_id: string | null
  fixed_ip_address: string | null
  router_id: string | null
  status: string
  description: string
  revision_number: number
  created_at: string
  updated_at: string
}
