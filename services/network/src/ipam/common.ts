import {
  cidrRange,
  contains,
  formatIp,
  ip,
  lastAddress,
  parseCidr,
  parseIp,
  type Cidr,
  type IpAddress,
  type IpRange,
  type IpVersion,
} from '@tricircle/netaddr'
import { InvalidAllocationPool, invalidAttribute } from './errors.js'

/** Shapes and address rules shared by the IPAM modules. */

export const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const
export type Ipv6Mode = (typeof IPV6_MODES)[number]

/** An allocation pool as the API carries it. */
export interface AllocationPool {
  readonly start: string
  readonly end: string
}

export interface HostRoute {
  readonly destination: string
  readonly nexthop: string
}

/** What the allocator needs of a subnet (a Neutron subnet dict has all of it). */
export interface IpamSubnet {
  readonly id?: string
  readonly cidr: string
  readonly gateway_ip: string | null
  readonly allocation_pools: readonly AllocationPool[]
  readonly ipv6_ra_mode?: string | null
  readonly ipv6_address_mode?: string | null
}

/** neutron_lib.constants.ROUTER_INTERFACE_OWNERS. */
export const ROUTER_INTERFACE_OWNERS: readonly string[] = [
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
]
/** neutron_lib.constants.ROUTER_INTERFACE_OWNERS_SNAT: interfaces and centralized SNAT. */
export const ROUTER_INTERFACE_OWNERS_SNAT: readonly string[] = [
  ...ROUTER_INTERFACE_OWNERS,
  'network:router_centralized_snat',
]
/** neutron_lib.constants.ROUTER_PORT_OWNERS: interfaces, centralized SNAT and gateways. */
export const ROUTER_PORT_OWNERS: readonly string[] = [
  ...ROUTER_INTERFACE_OWNERS_SNAT,
  'network:router_gateway',
]
/** Owners whose ports take the first free address (Neutron's `PreferNextAddressRequest`). */
export const PREFER_NEXT_OWNERS: readonly string[] = ['network:dhcp', 'network:distributed']

/** Neutron's temporary CIDR of an IPv6 prefix-delegation subnet; exempt from overlap checks. */
export const PROVISIONAL_IPV6_PD_PREFIX = '::/64'

/** Parses an address attribute, failing as Neutron's `type:ip_address` validator does. */
export function parseAddressAttr(attr: string, text: string): IpAddress {
  try {
    return parseIp(text)
  } catch {
    throw invalidAttribute(attr, `'${text}' is not a valid IP address`)
  }
}

/**
 * Records a route (destination and nexthop, canonical) in `seen`, refusing one already there
 * with Neutron's message for a duplicate (`type:hostroutes`, also used for router routes).
 */
export function addUniqueRoute(
  attr: string,
  seen: Set<string>,
  canonical: { readonly destination: string; readonly nexthop: string },
  given: { readonly destination: string; readonly nexthop: string },
): void {
  const key = `${canonical.destination} ${canonical.nexthop}`
  if (seen.has(key)) {
    throw invalidAttribute(
      attr,
      `Duplicate hostroute '{'destination': '${given.destination}', 'nexthop': '${given.nexthop}'}'`,
    )
  }
  seen.add(key)
}

/** Parses a subnet CIDR attribute (`type:subnet`); host bits are allowed here and cleared. */
export function parseCidrAttr(attr: string, text: string): Cidr {
  try {
    return parseCidr(text)
  } catch {
    throw invalidAttribute(attr, `'${text}' is not a valid IP subnet`)
  }
}

/** Like Neutron's `pools_to_ip_range`: start after end, or mixed versions, is invalid. */
export function poolRange(pool: AllocationPool, start: IpAddress, end: IpAddress): IpRange {
  if (start.version !== end.version || start.value > end.value) {
    throw new InvalidAllocationPool(`{'start': '${pool.start}', 'end': '${pool.end}'}`)
  }
  return Object.freeze({ version: start.version, first: start.value, last: end.value })
}

/** Pools as ranges, for already-stored (valid) pools. */
export function poolsToRanges(pools: readonly AllocationPool[]): IpRange[] {
  return pools.map((p) => poolRange(p, parseIp(p.start), parseIp(p.end)))
}

export function rangeToPool(r: IpRange): AllocationPool {
  return { start: formatIp(ip(r.version, r.first)), end: formatIp(ip(r.version, r.last)) }
}

/**
 * Neutron's `check_subnet_ip`, used for a fixed IP a caller asks for: inside the CIDR; in IPv4
 * not the network or broadcast address; in IPv6 not the subnet-router anycast (network) address
 * unless the port is a router's or has no owner.
 *
 * One deliberate difference: Neutron asks netaddr for the broadcast address, which is None for a
 * /31 or /32, so it refuses the first address of a /31 and the only address of a /32 — yet its
 * own default pools hand both out. Here those addresses are valid (RFC 3021), as the pools say.
 */
export function checkSubnetIp(cidr: Cidr, address: IpAddress, deviceOwner = ''): boolean {
  if (!contains(cidr, address)) return false
  const isNetwork = address.value === cidr.network
  if (cidr.version === 4) {
    if (cidr.prefixLength >= 31) return true
    return !isNetwork && address.value !== lastAddress(cidr).value
  }
  return !isNetwork || deviceOwner === '' || ROUTER_PORT_OWNERS.includes(deviceOwner)
}

/**
 * Neutron's `check_gateway_invalid_in_subnet`: an IPv4 gateway inside the CIDR must not be its
 * network or last address (for a /31 or /32 that is every address). A gateway outside the CIDR
 * is allowed (reached on-link), and in IPv6 any address inside it is.
 */
export function isGatewayInvalidInSubnet(cidr: Cidr, gateway: IpAddress): boolean {
  return (
    cidr.version === 4 &&
    contains(cidr, gateway) &&
    (gateway.value === cidr.network || gateway.value === lastAddress(cidr).value)
  )
}

/**
 * The bounds `validate_allocation_pools` holds pools to: IPv4 up to /30 without network and
 * broadcast, a /31 or /32 whole, IPv6 without the network address (so no pool fits a /128).
 */
export function poolBounds(cidr: Cidr): { first: bigint; last: bigint } {
  const all = cidrRange(cidr)
  if (cidr.version === 4) {
    return cidr.prefixLength <= 30 ? { first: all.first + 1n, last: all.last - 1n } : all
  }
  return { first: all.first + 1n, last: all.last }
}

/** Neutron's `is_auto_address_subnet`: SLAAC or DHCPv6-stateless addressing. */
export function isAutoAddressSubnet(subnet: {
  readonly ipv6_ra_mode?: string | null
  readonly ipv6_address_mode?: string | null
}): boolean {
  const auto = (mode: string | null | undefined) => mode === 'slaac' || mode === 'dhcpv6-stateless'
  return auto(subnet.ipv6_address_mode) || auto(subnet.ipv6_ra_mode)
}

/** True if the network lies wholly inside `container` (netaddr's `IPNetwork in IPNetwork`). */
export function cidrWithin(cidr: Cidr, container: Cidr): boolean {
  return (
    cidr.version === container.version &&
    cidr.prefixLength >= container.prefixLength &&
    contains(container, ip(cidr.version, cidr.network))
  )
}

export function isIpVersion(value: unknown): value is IpVersion {
  return value === 4 || value === 6
}
