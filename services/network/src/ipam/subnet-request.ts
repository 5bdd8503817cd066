import {
  allocationPools,
  formatCidr,
  formatIp,
  ip,
  parseCidr,
  parseIp,
  type IpRange,
  type IpVersion,
} from '@tricircle/netaddr'
import {
  isGatewayInvalidInSubnet,
  isIpVersion,
  parseAddressAttr,
  parseCidrAttr,
  poolRange,
  poolsToRanges,
  rangeToPool,
  type AllocationPool,
  type HostRoute,
  type Ipv6Mode,
} from './common.js'
import {
  GatewayIpInUse,
  HTTPBadRequest,
  InvalidInput,
  IpamValueInvalid,
  badRequest,
  invalidAttribute,
} from './errors.js'
import { allocateFromPool, checkPrefixBounds, type SubnetPoolSpec } from './subnet-pools.js'
import {
  defaultGateway,
  prepareAllocationPools,
  validateAllocationPools,
  validateGatewayOutOfPools,
  validateSubnet,
  validateIpv6Modes,
  validateSubnetCidr,
  validateNetworkSubnetPools,
  parsePools,
  parseNameservers,
  parseHostRoutes,
  ipv6Mode,
  nonNegative,
  formatRoute,
  sameAddress,
  sortRanges,
} from './subnet-validation.js'
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
