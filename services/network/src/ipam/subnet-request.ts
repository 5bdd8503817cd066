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
  PROVISIONAL_IPV6_PD_PREFIX,
  cidrWithin,
  isAutoAddressSubnet,
  isGatewayInvalidInSubnet,
  isIpVersion,
  parseAddressAttr,
  parseCidrAttr,
  poolBounds,
  poolRange,
  poolsToRanges,
  rangeToPool,
  type AllocationPool,
  type HostRoute,
  type Ipv6Mode,
} from './common.js'
import {
  DNSNameServersExhausted,
  GatewayConflictWithAllocationPools,
  GatewayIpInUse,
  HostRoutesExhausted,
  HTTPBadRequest,
  InvalidAllocationPool,
  InvalidInput,
  IpamValueInvalid,
  NetworkSubnetPoolAffinityError,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
  badRequest,
  invalidAttribute,
} from './errors.js'
import { allocateFromPool, checkPrefixBounds, type SubnetPoolSpec } from './subnet-pools.js'

/**
 * Subnet create and update as Neutron validates and completes them (neutron/db/
 * db_base_plugin_v2.py `_validate_subnet`, ipam_backend_mixin.py, neutron/ipam/*), without a
 * database: the caller passes in what the checks need (the network's other subnets, the
 * resolved subnet pool, the router port holding the gateway) and stores the result.
 */

/** The IPAM fields of a `POST /v2.0/subnets` body. Undefined means "not given". */
export interface SubnetCreateRequest {
  readonly ip_version: number
  readonly cidr?: string | null
  readonly prefixlen?: number | null
  readonly subnetpool_id?: string | null
  readonly use_default_subnetpool?: boolean | null
  /** Undefined: Neutron's default gateway; null: no gateway. */
  readonly gateway_ip?: string | null
  /** Undefined, null or empty: the default pools. */
  readonly allocation_pools?: readonly AllocationPool[] | null
  readonly dns_nameservers?: readonly string[] | null
  readonly host_routes?: readonly HostRoute[] | null
  /** Default true. */
  readonly enable_dhcp?: boolean | null
  readonly ipv6_ra_mode?: string | null
  readonly ipv6_address_mode?: string | null
}

/** A subnet already on the network, for the overlap and pool-affinity checks. */
export interface NetworkSubnet {
  readonly cidr: string
  readonly ip_version?: number
  readonly subnetpool_id?: string | null
}

/** The subnet pool named by `subnetpool_id` (or the default one), resolved by the caller. */
export interface ResolvedSubnetPool {
  readonly id: string
  readonly pool: SubnetPoolSpec
  /** CIDRs of the subnets already allocated from the pool. */
  readonly allocated: readonly string[]
}

/** Neutron's `max_dns_nameservers` and `max_subnet_host_routes` (defaults 5 and 20). */
export interface SubnetLimits {
  readonly maxDnsNameservers: number
  readonly maxHostRoutes: number
}

export const DEFAULT_SUBNET_LIMITS: SubnetLimits = { maxDnsNameservers: 5, maxHostRoutes: 20 }

export interface SubnetCreateContext {
  readonly networkId: string
  /** The network's existing subnets: a new CIDR must not overlap any of them. */
  readonly networkSubnets?: readonly NetworkSubnet[]
  /** Required when the request names `subnetpool_id` or `use_default_subnetpool`. */
  readonly subnetPool?: ResolvedSubnetPool
  readonly limits?: Partial<SubnetLimits>
}

/** The IPAM fields of a subnet as stored and returned, in canonical text. */
export interface NormalizedSubnet {
  readonly ip_version: IpVersion
  readonly cidr: string
  readonly gateway_ip: string | null
  /** Sorted by start address. */
  readonly allocation_pools: readonly AllocationPool[]
  readonly dns_nameservers: readonly string[]
  readonly host_routes: readonly HostRoute[]
  readonly enable_dhcp: boolean
  readonly ipv6_ra_mode: Ipv6Mode | null
  readonly ipv6_address_mode: Ipv6Mode | null
  readonly subnetpool_id: string | null
}

/**
 * Validates a subnet create request and fills in what Neutron derives:
 *
 * - `cidr` loses its host bits (`10.0.0.5/24` → `10.0.0.0/24`, as Neutron stores it); it must
 *   match `ip_version`, not be `::/N` or a /0, and not overlap the network's other subnets
 *   (`InvalidInput` "Requested subnet with cidr: … overlaps with another subnet").
 * - Without `cidr`, a subnet pool (`context.subnetPool`) supplies one: any free block of
 *   `prefixlen` (default: the pool's), or the block holding `gateway_ip` when one is given.
 * - `gateway_ip` by default is the network address + 1 in IPv4 and the network address (the
 *   subnet-router anycast address) in IPv6, as Neutron does since Train; from a pool without a
 *   CIDR it is the network address + 1 in both (Neutron's `SubnetAllocator`). An explicit
 *   gateway may lie outside the CIDR; in IPv4 it must not be the network or broadcast address.
 * - `allocation_pools` default to the usable range minus the gateway; given pools must lie in
 *   the usable range, not overlap each other and not hold the gateway.
 * - DHCP needs IPv4 ≤ /30 or IPv6 ≤ /126, and no multicast, loopback or 0.0.0.0 network; IPv6
 *   modes need DHCP, must agree when both are set, and SLAAC / stateless need a /64.
 * - `dns_nameservers` and `host_routes` are checked (format, duplicates, IP version, limits).
 */
export function normalizeSubnet(
  request: SubnetCreateRequest,
  context: SubnetCreateContext,
): NormalizedSubnet {
  const limits = { ...DEFAULT_SUBNET_LIMITS, ...context.limits }
  // 1. Attribute formats, as Neutron's API layer checks them before the plugin runs.
  if (!isIpVersion(request.ip_version)) {
    throw invalidAttribute('ip_version', `${String(request.ip_version)} is not in valid_values`)
  }
  const version = request.ip_version
  if (request.prefixlen != null) nonNegative('prefixlen', request.prefixlen)
  let cidr = request.cidr == null ? undefined : parseCidrAttr('cidr', request.cidr)
  let gateway =
    request.gateway_ip == null
      ? request.gateway_ip
      : parseAddressAttr('gateway_ip', request.gateway_ip)
  const pools = request.allocation_pools == null ? undefined : parsePools(request.allocation_pools)
  const dns =
    request.dns_nameservers == null ? undefined : parseNameservers(request.dns_nameservers)
  const routes = request.host_routes == null ? undefined : parseHostRoutes(request.host_routes)
  const raMode = ipv6Mode('ipv6_ra_mode', request.ipv6_ra_mode)
  const addressMode = ipv6Mode('ipv6_address_mode', request.ipv6_address_mode)
  const enableDhcp = request.enable_dhcp ?? true

  // 2. The request's shape (`_create_subnet_precommit`, `_get_subnetpool_id`).
  if (cidr && request.prefixlen != null) {
    throw badRequest('subnets', 'cidr and prefixlen must not be supplied together')
  }
  if (request.subnetpool_id && request.use_default_subnetpool) {
    throw badRequest('subnets', 'subnetpool_id and use_default_subnetpool cannot both be specified')
  }
  let pool: ResolvedSubnetPool | undefined
  if (request.subnetpool_id || request.use_default_subnetpool) {
    pool = context.subnetPool
    if (!pool && request.use_default_subnetpool) {
      throw badRequest('subnets', `No default subnetpool found for IPv${version}`)
    }
    if (!pool)
      throw new TypeError('normalizeSubnet: subnetpool_id given but no subnetPool in context')
  }
  if (!pool && !cidr) {
    throw badRequest('subnets', 'a subnetpool must be specified in the absence of a cidr')
  }
  if (pool && !cidr && pools !== undefined) {
    throw badRequest('subnets', 'allocation_pools allowed only for specific subnet requests.')
  }

  // 3. `_validate_subnet`.
  validateSubnet({
    version,
    cidr,
    enableDhcp,
    dhcpWasEnabled: false,
    gateway,
    dns,
    routes,
    limits,
  })
  if (version === 4) {
    if (raMode) throw new InvalidInput('ipv6_ra_mode is not valid when ip_version is 4')
    if (addressMode) throw new InvalidInput('ipv6_address_mode is not valid when ip_version is 4')
  } else {
    validateIpv6Modes(raMode, addressMode, enableDhcp, cidr)
  }
  if (pool && pool.pool.ip_version !== version) {
    throw badRequest(
      'subnets',
      `Cannot allocate IPv${version} subnet from IPv${pool.pool.ip_version} subnet pool`,
    )
  }

  // 4. Gateway and pools of a specific request (`allocate_subnet`).
  let ranges: IpRange[] | undefined
  if (cidr) {
    if (gateway === undefined) gateway = defaultGateway(cidr)
    ranges = prepareAllocationPools(pools, cidr, gateway)
  }

  // 5. The subnet pool (`SubnetRequestFactory`, `SubnetAllocator`).
  if (pool) {
    if (cidr) {
      allocateFromPool(pool.pool, { cidr: formatCidr(cidr) }, pool.allocated)
    } else if (gateway) {
      // A gateway without a CIDR asks for the pool block around it.
      const prefixlen = request.prefixlen ?? pool.pool.default_prefixlen
      checkPrefixBounds(pool.pool, prefixlen)
      cidr = parseCidr(`${formatIp(gateway)}/${prefixlen}`)
      if (isGatewayInvalidInSubnet(cidr, gateway)) {
        throw new IpamValueInvalid(
          `Gateway IP ${formatIp(gateway)} cannot be the network or broadcast IP address ` +
            formatCidr(cidr),
        )
      }
      allocateFromPool(pool.pool, { cidr: formatCidr(cidr) }, pool.allocated)
      ranges = allocationPools(cidr, gateway)
    } else {
      const prefixlen = request.prefixlen ?? pool.pool.default_prefixlen
      cidr = parseCidr(allocateFromPool(pool.pool, { prefixlen }, pool.allocated))
      gateway = gateway === null ? null : ip(version, cidr.network + 1n)
      ranges = allocationPools(cidr, gateway)
    }
  }
  if (!cidr || !ranges || gateway === undefined) throw new Error('unreachable')

  // 6. Against the network (`_save_subnet`).
  validateSubnetCidr(cidr, context.networkId, context.networkSubnets ?? [])
  validateNetworkSubnetPools(version, pool, context.networkSubnets ?? [])

  return {
    ip_version: version,
    cidr: formatCidr(cidr),
    gateway_ip: gateway && formatIp(gateway),
    allocation_pools: sortRanges(ranges).map(rangeToPool),
    dns_nameservers: (dns ?? []).map(formatIp),
    host_routes: (routes ?? []).map(formatRoute),
    enable_dhcp: enableDhcp,
    ipv6_ra_mode: version === 6 && enableDhcp ? (raMode ?? null) : null,
    ipv6_address_mode: version === 6 && enableDhcp ? (addressMode ?? null) : null,
    subnetpool_id: pool?.id ?? null,
  }
}

/** The fields `PUT /v2.0/subnets/{id}` may carry (others are read-only). */
export interface SubnetUpdateRequest {
  readonly name?: string
  readonly description?: string
  /** Null removes the gateway. */
  readonly gateway_ip?: string | null
  /** Replaces all pools; null or empty leaves the subnet without pools. */
  readonly allocation_pools?: readonly AllocationPool[] | null
  readonly dns_nameservers?: readonly string[] | null
  readonly host_routes?: readonly HostRoute[] | null
  readonly enable_dhcp?: boolean
  readonly [readOnly: string]: unknown
}

export interface ExistingSubnet extends NormalizedSubnet {
  readonly id: string
}

export interface SubnetUpdateContext {
  /**
   * The id of a router port whose fixed IP on this subnet is the current gateway, if any: the
   * gateway then cannot be changed or removed (`GatewayIpInUse`), as in Neutron.
   */
  readonly gatewayRouterPortId?: string | null
  readonly limits?: Partial<SubnetLimits>
}

/** The fields an update sets, normalized; absent fields are unchanged. */
export type SubnetChanges = Partial<
  Pick<
    NormalizedSubnet,
    'gateway_ip' | 'allocation_pools' | 'dns_nameservers' | 'host_routes' | 'enable_dhcp'
  > & { name: string; description: string }
>

export interface SubnetUpdate {
  /** The subnet after the update. */
  readonly subnet: ExistingSubnet
  readonly changes: SubnetChanges
}

/** Attributes Neutron's subnet resource does not allow in a PUT. */
const READ_ONLY = [
  'id',
  'ip_version',
  'network_id',
  'subnetpool_id',
  'prefixlen',
  'cidr',
  'ipv6_ra_mode',
  'ipv6_address_mode',
  'tenant_id',
  'project_id',
  'use_default_subnetpool',
]

/**
 * Validates a subnet update (Neutron's `_update_subnet_precommit`). Read-only attributes are
 * refused ("Cannot update read-only attribute cidr"). A new gateway is checked as on create; if
 * it differs from the current one while a router port holds the current one: `GatewayIpInUse`.
 * New pools are validated against the CIDR; the (new or current) gateway must be outside the
 * (new or current) pools. Pools are not regenerated when only the gateway changes, and
 * addresses already allocated outside new pools stay valid — both as in Neutron. Turning DHCP on
 * re-checks the prefix; turning it off on an IPv6 subnet with modes is refused.
 */
export function normalizeSubnetUpdate(
  existing: ExistingSubnet,
  request: SubnetUpdateRequest,
  context: SubnetUpdateContext = {},
): SubnetUpdate {
  for (const attr of READ_ONLY) {
    if (attr in request) throw new HTTPBadRequest(`Cannot update read-only attribute ${attr}`)
  }
  const limits = { ...DEFAULT_SUBNET_LIMITS, ...context.limits }
  const cidr = parseCidr(existing.cidr)
  const version = existing.ip_version
  const gateway =
    request.gateway_ip == null
      ? request.gateway_ip
      : parseAddressAttr('gateway_ip', request.gateway_ip)
  const pools =
    request.allocation_pools === undefined ? undefined : parsePools(request.allocation_pools ?? [])
  const dns =
    request.dns_nameservers === undefined
      ? undefined
      : parseNameservers(request.dns_nameservers ?? [])
  const routes =
    request.host_routes === undefined ? undefined : parseHostRoutes(request.host_routes ?? [])

  validateSubnet({
    version,
    cidr,
    subnetId: existing.id,
    enableDhcp: request.enable_dhcp,
    dhcpWasEnabled: existing.enable_dhcp,
    gateway,
    dns,
    routes,
    limits,
  })
  if (version === 6 && request.enable_dhcp === false) {
    if (existing.ipv6_ra_mode || existing.ipv6_address_mode) {
      throw new InvalidInput('Cannot disable enable_dhcp with ipv6 attributes set')
    }
  }
  const current = existing.gateway_ip === null ? null : parseIp(existing.gateway_ip)
  if (gateway !== undefined && !sameAddress(gateway, current) && context.gatewayRouterPortId) {
    throw new GatewayIpInUse(existing.gateway_ip ?? '', context.gatewayRouterPortId)
  }

  let ranges: IpRange[] | undefined
  if (pools) {
    ranges = pools.map((p) => poolRange(p.pool, p.start, p.end))
    validateAllocationPools(ranges, cidr)
  }
  const nextGateway = gateway === undefined ? current : gateway
  if (nextGateway && (ranges || !sameAddress(nextGateway, current))) {
    validateGatewayOutOfPools(nextGateway, ranges ?? poolsToRanges(existing.allocation_pools))
  }

  const changes: {
    -readonly [K in keyof SubnetChanges]: SubnetChanges[K]
  } = {}
  if (request.name !== undefined) changes.name = request.name
  if (request.description !== undefined) changes.description = request.description
  if (gateway !== undefined) changes.gateway_ip = gateway && formatIp(gateway)
  if (ranges) changes.allocation_pools = sortRanges(ranges).map(rangeToPool)
  if (dns) changes.dns_nameservers = dns.map(formatIp)
  if (routes) changes.host_routes = routes.map(formatRoute)
  if (request.enable_dhcp !== undefined) changes.enable_dhcp = request.enable_dhcp
  const { name: _name, description: _description, ...ipam } = changes
  return { subnet: { ...existing, ...ipam }, changes }
}

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
function prepareAllocationPools(
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
function validateSubnet(spec: SubnetSpec): void {
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
function validateIpv6Modes(
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
function validateSubnetCidr(cidr: Cidr, networkId: string, others: readonly NetworkSubnet[]): void {
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
function validateNetworkSubnetPools(
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

interface ParsedPool {
  readonly pool: AllocationPool
  readonly start: IpAddress
  readonly end: IpAddress
}

interface ParsedRoute {
  readonly destination: Cidr
  readonly nexthop: IpAddress
}

function parsePools(pools: readonly AllocationPool[]): ParsedPool[] {
  return pools.map((pool) => ({
    pool,
    start: parseAddressAttr('allocation_pools', pool.start),
    end: parseAddressAttr('allocation_pools', pool.end),
  }))
}

/** `type:nameservers`: valid addresses, no duplicates. */
function parseNameservers(servers: readonly string[]): IpAddress[] {
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
function parseHostRoutes(routes: readonly HostRoute[]): ParsedRoute[] {
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
    const key = formatRoute(parsed)
    const dupKey = `${key.destination} ${key.nexthop}`
    if (seen.has(dupKey)) {
      throw invalidAttribute(
        'host_routes',
        `Duplicate hostroute '{'destination': '${route.destination}', 'nexthop': '${route.nexthop}'}'`,
      )
    }
    seen.add(dupKey)
    return parsed
  })
}

function ipv6Mode(attr: string, value: string | null | undefined): Ipv6Mode | undefined {
  if (value == null) return undefined
  if (!(IPV6_MODES as readonly string[]).includes(value)) {
    throw invalidAttribute(attr, `${value} is not in valid_values`)
  }
  return value as Ipv6Mode
}

function nonNegative(attr: string, value: number): void {
  if (!Number.isInteger(value)) throw invalidAttribute(attr, `'${value}' is not an integer`)
  if (value < 0) throw invalidAttribute(attr, `'${value}' should be non-negative`)
}

/** `_validate_ip_version`: "cidr '2001:db8::/64' does not match the ip_version '4'". */
function checkVersion(version: IpVersion, actual: IpVersion, name: string, text: string): void {
  if (actual !== version) {
    throw new InvalidInput(`${name} '${text}' does not match the ip_version '${version}'`)
  }
}

function formatRoute(route: ParsedRoute): HostRoute {
  return { destination: formatCidr(route.destination), nexthop: formatIp(route.nexthop) }
}

function sameAddress(a: IpAddress | null, b: IpAddress | null): boolean {
  return a === b || (a !== null && b !== null && a.version === b.version && a.value === b.value)
}

function sortRanges(ranges: readonly IpRange[]): IpRange[] {
  return [...ranges].sort((a, b) => compareBig(a.first, b.first))
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}
