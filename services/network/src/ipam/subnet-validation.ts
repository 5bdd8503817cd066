/**
 * The checks and parsers behind subnet creates and updates (`subnet-request.ts`): Neutron's
 * `_validate_subnet` family, allocation pools, nameservers and host routes. Pure.
 */
import {
  allocationPools,
  formatCidr,
  formatIp,
  formatRange,
  ip,
  parseCidr,
  parseIp,
  rangeContains,
  rangesOverlap,
  type Cidr,
  type IpAddress,
  type IpRange,
  type IpVersion,
} from '@tricircle/netaddr'
import {
  IPV6_MODES,
  addUniqueRoute,
  PROVISIONAL_IPV6_PD_PREFIX,
  cidrWithin,
  isAutoAddressSubnet,
  isGatewayInvalidInSubnet,
  parseAddressAttr,
  poolBounds,
  poolRange,
  type AllocationPool,
  type HostRoute,
  type Ipv6Mode,
} from './common.js'
import {
  DNSNameServersExhausted,
  GatewayConflictWithAllocationPools,
  HostRoutesExhausted,
  InvalidAllocationPool,
  InvalidInput,
  NetworkSubnetPoolAffinityError,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
  invalidAttribute,
} from './errors.js'
import type { NetworkSubnet, ResolvedSubnetPool, SubnetLimits } from './subnet-request.js'

/**
 * Neutron's default gateway for a subnet with a CIDR (`_gateway_ip_str`): IPv4 network + 1
 * (outside a /32, which Neutron allows), IPv6 the network address.
 */
export function defaultGateway(cidr: Cidr): IpAddress {
  return cidr.version === 4 ? ip(4, (cidr.network + 1n) & 0xffffffffn) : ip(6, cidr.network)
}

/**
 * Pools for a subnet (`_prepare_allocation_pools`): none given → the usable range minus the
 * gateway; given → validated, and the gateway must be outside them.
 */
export function prepareAllocationPools(
  pools: ParsedPool[] | undefined,
  cidr: Cidr,
  gateway: IpAddress | null,
): IpRange[] {
  if (!pools || pools.length === 0) return allocationPools(cidr, gateway)
  const ranges = pools.map((p) => poolRange(p.pool, p.start, p.end))
  validateAllocationPools(ranges, cidr)
  if (gateway) validateGatewayOutOfPools(gateway, ranges)
  return ranges
}

/**
 * Neutron's `validate_allocation_pools`: each pool of the subnet's IP version
 * (`InvalidAllocationPool`) and within its usable range (`OutOfBoundsAllocationPool`), and no
 * two pools sharing an address (`OverlappingAllocationPools`).
 */
export function validateAllocationPools(ranges: readonly IpRange[], cidr: Cidr): void {
  const bounds = poolBounds(cidr)
  const cidrText = formatCidr(cidr)
  for (const r of ranges) {
    if (r.version !== cidr.version) throw new InvalidAllocationPool(formatRange(r))
    if (r.first < bounds.first || r.last > bounds.last) {
      throw new OutOfBoundsAllocationPool(formatRange(r), cidrText)
    }
  }
  // Sorting finds whether any two overlap in O(n log n). Neutron names the first overlapping
  // pair in request order (pairwise scan); that scan runs only when there is an overlap and the
  // list is short, so a huge request cannot make it quadratic.
  const order = ranges.map((r, i) => ({ r, i })).sort((a, b) => compareBig(a.r.first, b.r.first))
  for (let k = 1; k < order.length; k++) {
    const [a, b] = [order[k - 1]!, order[k]!]
    if (!rangesOverlap(a.r, b.r)) continue
    let [x, y] = a.i < b.i ? [a.r, b.r] : [b.r, a.r]
    if (ranges.length <= 256) {
      const pair = firstOverlap(ranges)
      if (pair) [x, y] = pair
    }
    throw new OverlappingAllocationPools(formatRange(x), formatRange(y), cidrText)
  }
}

function firstOverlap(ranges: readonly IpRange[]): [IpRange, IpRange] | undefined {
  for (let l = 0; l < ranges.length; l++) {
    for (let r = l + 1; r < ranges.length; r++) {
      if (rangesOverlap(ranges[l]!, ranges[r]!)) return [ranges[l]!, ranges[r]!]
    }
  }
  return undefined
}

/** Neutron's `validate_gw_out_of_pools`. */
export function validateGatewayOutOfPools(gateway: IpAddress, ranges: readonly IpRange[]): void {
  const pool = ranges.find((r) => rangeContains(r, gateway))
  if (pool) throw new GatewayConflictWithAllocationPools(formatIp(gateway), formatRange(pool))
}

interface SubnetSpec {
  readonly version: IpVersion
  readonly cidr: Cidr | undefined
  readonly subnetId?: string
  /** Undefined: not part of an update. */
  readonly enableDhcp: boolean | undefined
  readonly dhcpWasEnabled: boolean
  /** Undefined: not given; null: no gateway. */
  readonly gateway: IpAddress | null | undefined
  readonly dns: IpAddress[] | undefined
  readonly routes: ParsedRoute[] | undefined
  readonly limits: SubnetLimits
}

/** The checks Neutron's `_validate_subnet` makes for both create and update. */
export function validateSubnet(spec: SubnetSpec): void {
  const { version, cidr } = spec
  if (cidr) {
    checkVersion(version, cidr.version, 'cidr', formatCidr(cidr))
    if (version === 6 && cidr.network === 0n) {
      throw new InvalidInput("IPv6 subnet '::' is not supported")
    }
    if (spec.enableDhcp && !spec.dhcpWasEnabled) validateDhcpPrefix(cidr)
  }
  if (spec.gateway) {
    checkVersion(version, spec.gateway.version, 'gateway_ip', formatIp(spec.gateway))
    if (cidr && isGatewayInvalidInSubnet(cidr, spec.gateway)) {
      throw new InvalidInput('Gateway is not valid on subnet')
    }
  }
  if (spec.dns) {
    if (spec.dns.length > spec.limits.maxDnsNameservers) {
      throw new DNSNameServersExhausted(spec.subnetId, spec.limits.maxDnsNameservers)
    }
    for (const server of spec.dns) {
      checkVersion(version, server.version, 'dns_nameserver', formatIp(server))
    }
  }
  if (spec.routes) {
    if (spec.routes.length > spec.limits.maxHostRoutes) {
      throw new HostRoutesExhausted(spec.subnetId, spec.limits.maxHostRoutes)
    }
    for (const route of spec.routes) {
      checkVersion(version, route.nexthop.version, 'nexthop', formatIp(route.nexthop))
      checkVersion(version, route.destination.version, 'destination', formatCidr(route.destination))
    }
  }
}

/** A subnet serving DHCP needs room for a server and clients, and a unicast range. */
function validateDhcpPrefix(cidr: Cidr): void {
  if (
    (cidr.version === 4 && cidr.prefixLength > 30) ||
    (cidr.version === 6 && cidr.prefixLength > 126)
  ) {
    throw new InvalidInput(
      'Subnet has a prefix length that is incompatible with DHCP service enabled',
    )
  }
  const multicast = cidr.version === 4 ? '224.0.0.0/4' : 'ff00::/8'
  if (cidrWithin(cidr, parseCidr(multicast))) {
    throw new InvalidInput('Multicast IP subnet is not supported if enable_dhcp is True')
  }
  const loopback = cidr.version === 4 ? '127.0.0.0/8' : '::1/128'
  if (cidrWithin(cidr, parseCidr(loopback))) {
    throw new InvalidInput('Loopback IP subnet is not supported if enable_dhcp is True')
  }
  if (cidr.version === 4 && cidr.network === 0n) {
    throw new InvalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.")
  }
}

/** `_validate_ipv6_attributes` for a new subnet. */
export function validateIpv6Modes(
  raMode: Ipv6Mode | undefined,
  addressMode: Ipv6Mode | undefined,
  enableDhcp: boolean,
  cidr: Cidr | undefined,
): void {
  if ((raMode || addressMode) && !enableDhcp) {
    throw new InvalidInput(
      'ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False',
    )
  }
  if (raMode && addressMode && raMode !== addressMode) {
    throw new InvalidInput(
      `ipv6_ra_mode set to '${raMode}' with ipv6_address_mode set to '${addressMode}' is not ` +
        'valid. If both attributes are set, they must be the same value',
    )
  }
  const auto = isAutoAddressSubnet({ ipv6_ra_mode: raMode, ipv6_address_mode: addressMode })
  if (cidr && auto && cidr.prefixLength !== 64) {
    throw new InvalidInput(
      `Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 ` +
        'address format, which requires the prefix to be /64',
    )
  }
}

/** `_validate_subnet_cidr`: no /0, and no overlap with the network's other subnets. */
export function validateSubnetCidr(
  cidr: Cidr,
  networkId: string,
  others: readonly NetworkSubnet[],
): void {
  if (cidr.prefixLength === 0) throw new InvalidInput('0 is not allowed as CIDR prefix length')
  const text = formatCidr(cidr)
  for (const other of others) {
    if (other.cidr === PROVISIONAL_IPV6_PD_PREFIX) continue
    const theirs = parseCidr(other.cidr)
    if (theirs.version === cidr.version && (cidrWithin(cidr, theirs) || cidrWithin(theirs, cidr))) {
      throw new InvalidInput(
        `Requested subnet with cidr: ${text} for network: ${networkId} overlaps with another subnet`,
      )
    }
  }
}

/**
 * `_validate_network_subnetpools` (without address scopes): the subnets of one IP version on
 * a network all come from the same pool, or all from none.
 */
export function validateNetworkSubnetPools(
  version: IpVersion,
  pool: ResolvedSubnetPool | undefined,
  others: readonly NetworkSubnet[],
): void {
  for (const other of others) {
    const otherVersion = other.ip_version ?? parseCidr(other.cidr).version
    if (otherVersion !== version) continue
    const otherPool = other.subnetpool_id ?? null
    if (pool ? otherPool !== pool.id : otherPool !== null) {
      throw new NetworkSubnetPoolAffinityError()
    }
  }
}

export interface ParsedPool {
  readonly pool: AllocationPool
  readonly start: IpAddress
  readonly end: IpAddress
}

export interface ParsedRoute {
  readonly destination: Cidr
  readonly nexthop: IpAddress
}

export function parsePools(pools: readonly AllocationPool[]): ParsedPool[] {
  return pools.map((pool) => ({
    pool,
    start: parseAddressAttr('allocation_pools', pool.start),
    end: parseAddressAttr('allocation_pools', pool.end),
  }))
}

/** `type:nameservers`: valid addresses, no duplicates. */
export function parseNameservers(servers: readonly string[]): IpAddress[] {
  const seen = new Set<string>()
  return servers.map((host) => {
    let address: IpAddress
    try {
      address = parseIp(host)
    } catch {
      throw invalidAttribute(
        'dns_nameservers',
        `'${host}' is not a valid nameserver. '${host}' is not a valid IP address`,
      )
    }
    const key = formatIp(address)
    if (seen.has(key)) throw invalidAttribute('dns_nameservers', `Duplicate nameserver '${host}'`)
    seen.add(key)
    return address
  })
}

/** `type:hostroutes`: a network without host bits (not loopback), an address, no duplicates. */
export function parseHostRoutes(routes: readonly HostRoute[]): ParsedRoute[] {
  const seen = new Set<string>()
  return routes.map((route) => {
    let destination: Cidr
    try {
      destination = parseCidr(route.destination, { strict: true })
    } catch {
      throw invalidAttribute('host_routes', `'${route.destination}' is not a valid CIDR`)
    }
    const loopback = destination.version === 4 ? '127.0.0.0/8' : '::1/128'
    if (cidrWithin(destination, parseCidr(loopback))) {
      throw invalidAttribute('host_routes', `'${route.destination}' is not a routable CIDR`)
    }
    const nexthop = parseAddressAttr('host_routes', route.nexthop)
    const parsed = { destination, nexthop }
    addUniqueRoute('host_routes', seen, formatRoute(parsed), route)
    return parsed
  })
}

export function ipv6Mode(attr: string, value: string | null | undefined): Ipv6Mode | undefined {
  if (value == null) return undefined
  if (!(IPV6_MODES as readonly string[]).includes(value)) {
    throw invalidAttribute(attr, `${value} is not in valid_values`)
  }
  return value as Ipv6Mode
}

export function nonNegative(attr: string, value: number): void {
  if (!Number.isInteger(value)) throw invalidAttribute(attr, `'${value}' is not an integer`)
  if (value < 0) throw invalidAttribute(attr, `'${value}' should be non-negative`)
}

/** `_validate_ip_version`: "cidr '2001:db8::/64' does not match the ip_version '4'". */
function checkVersion(version: IpVersion, actual: IpVersion, name: string, text: string): void {
  if (actual !== version) {
    throw new InvalidInput(`${name} '${text}' does not match the ip_version '${version}'`)
  }
}

export function formatRoute(route: ParsedRoute): HostRoute {
  return { destination: formatCidr(route.destination), nexthop: formatIp(route.nexthop) }
}

export function sameAddress(a: IpAddress | null, b: IpAddress | null): boolean {
  return a === b || (a !== null && b !== null && a.version === b.version && a.value === b.value)
}

export function sortRanges(ranges: readonly IpRange[]): IpRange[] {
  return [...ranges].sort((a, b) => compareBig(a.first, b.first))
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}
