import {
  formatIp,
  ip,
  mergeRanges,
  parseCidr,
  parseIp,
  parseMac,
  rangeContains,
  rangeSize,
  toIp,
  type Cidr,
  type IpAddress,
  type IpLike,
  type IpRange,
  type IpVersion,
} from '@tricircle/netaddr'
import {
  PREFER_NEXT_OWNERS,
  ROUTER_INTERFACE_OWNERS,
  ROUTER_INTERFACE_OWNERS_SNAT,
  checkSubnetIp,
  isAutoAddressSubnet,
  poolsToRanges,
  type AllocationPool,
  type IpamSubnet,
} from './common.js'
import {
  AllocationOnAutoAddressSubnet,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  invalidAttribute,
} from './errors.js'

/**
 * Choosing a port's address in a subnet, and checking one a caller asks for. Pure: the caller
 * passes the addresses already allocated in the subnet and stores its pick under a unique
 * (subnet, address) key, retrying with a fresh read when a concurrent request took it first.
 *
 * Strategy (Neutron's neutrondb IPAM driver, `_generate_ips`): pick uniformly at random among
 * the first {@link NEUTRON_IP_WINDOW} free addresses of the pools, in pool order. Addresses stay
 * low and readable (`10.0.0.2`…, `2001:db8::1`…) and two concurrent allocators collide with
 * probability about 1 / min(free, 1000), which the caller's retry absorbs. Neutron draws from the
 * first pool that has room; here the window runs on into the next pools, so a nearly full pool
 * does not crowd concurrent requests onto its last few addresses. DHCP and distributed ports
 * take the first free address, as Neutron's `PreferNextAddressRequest` does.
 *
 * Cost: O(t log t) to sort the t taken addresses, then O(p log t) for p pools — the pools are
 * never enumerated, so a /64 with thousands of allocations is as quick as a /24. The j-th free
 * address of a pool is found by binary search over the taken ones: before taken address
 * `t[i]` lie `t[i] - first - i` free ones.
 */

/** Neutron's `MAX_WIN`: how many of the lowest free addresses a random pick draws from. */
export const NEUTRON_IP_WINDOW = 1000

export interface ChooseAddressOptions {
  /** The port's `device_owner`: DHCP ports take the first free address; see also `mac`. */
  readonly deviceOwner?: string
  /**
   * The port's MAC. On a SLAAC or DHCPv6-stateless subnet a non-router port gets the EUI-64
   * address derived from it instead of a pool address, as in Neutron.
   */
  readonly mac?: string
  /** Take the lowest free address. Default: true for DHCP / distributed ports. */
  readonly preferNext?: boolean
  /** How many of the lowest free addresses to draw from. Default {@link NEUTRON_IP_WINDOW}. */
  readonly window?: number
  /** A source of uniform numbers in [0, 1). Default Math.random. */
  readonly random?: () => number
}

/**
 * An unallocated address from the subnet's pools, canonical text; undefined when the pools are
 * full. `taken` holds the subnet's allocated addresses (text or parsed; other versions and
 * addresses outside the pools are ignored). The gateway is never chosen, even where a
 * single-address subnet's pool holds it. For an EUI-64 address that is taken:
 * `IpAddressAlreadyAllocated`.
 */
export function chooseAddress(
  subnet: IpamSubnet,
  taken: Iterable<IpLike>,
  options: ChooseAddressOptions = {},
): string | undefined {
  const cidr = parseCidr(subnet.cidr)
  const owner = options.deviceOwner ?? ''
  if (
    options.mac !== undefined &&
    isAutoAddressSubnet(subnet) &&
    !ROUTER_INTERFACE_OWNERS_SNAT.includes(owner)
  ) {
    const address = eui64Address(subnet.cidr, options.mac)
    if (sortedValues(taken, 6).includes(parseIp(address).value)) {
      throw new IpAddressAlreadyAllocated(address, subnetLabel(subnet))
    }
    return address
  }

  const pools = mergeRanges(poolsToRanges(subnet.allocation_pools)).filter(
    (r) => r.version === cidr.version,
  )
  const values = sortedValues(withGateway(taken, subnet.gateway_ip), cidr.version)
  const preferNext = options.preferNext ?? PREFER_NEXT_OWNERS.includes(owner)
  const wanted = options.window ?? NEUTRON_IP_WINDOW
  const window = BigInt(
    preferNext
      ? 1
      : Number.isFinite(wanted)
        ? Math.max(1, Math.floor(wanted))
        : Number.MAX_SAFE_INTEGER,
  )

  // The pools that have room, until they hold `window` free addresses.
  const segments: Segment[] = []
  let total = 0n
  for (const pool of pools) {
    const lo = lowerBound(values, pool.first)
    const hi = lowerBound(values, pool.last + 1n)
    const free = rangeSize(pool) - BigInt(hi - lo)
    if (free === 0n) continue
    segments.push({ pool, taken: values.slice(lo, hi), free })
    total += free
    if (total >= window) break
  }
  if (total === 0n) return undefined

  const span = total < window ? total : window
  const random = options.random ?? Math.random
  let j = BigInt(Math.min(Math.floor(random() * Number(span)), Number(span) - 1))
  for (const segment of segments) {
    if (j < segment.free) return formatIp(ip(cidr.version, nthFree(segment, j)))
    j -= segment.free
  }
  throw new Error('unreachable: the window lies within the segments')
}

/**
 * {@link chooseAddress}, failing with Neutron's `IpAddressGenerationFailure` ("No more IP
 * addresses available for subnet …") when the pools are full.
 */
export function nextFreeAddress(
  subnet: IpamSubnet,
  taken: Iterable<IpLike>,
  options: ChooseAddressOptions = {},
): string {
  const address = chooseAddress(subnet, taken, options)
  if (address === undefined) throw new IpAddressGenerationFailure({ subnetId: subnetLabel(subnet) })
  return address
}

/** How many addresses of the pools are free (the gateway never counts as free). */
export function freeAddressCount(subnet: IpamSubnet, taken: Iterable<IpLike>): bigint {
  const version = parseCidr(subnet.cidr).version
  const values = sortedValues(withGateway(taken, subnet.gateway_ip), version)
  let free = 0n
  for (const pool of mergeRanges(poolsToRanges(subnet.allocation_pools))) {
    if (pool.version !== version) continue
    free +=
      rangeSize(pool) - BigInt(lowerBound(values, pool.last + 1n) - lowerBound(values, pool.first))
  }
  return free
}

export interface ValidateAddressOptions {
  /** The subnet's allocated addresses: a taken address is `IpAddressAlreadyAllocated`. */
  readonly taken?: Iterable<IpLike>
  /** The port's MAC: on a SLAAC / stateless subnet the address must be its EUI-64 one. */
  readonly mac?: string
}

/**
 * Checks an address a port asks for on `subnet` and returns its canonical text. As in
 * Neutron it may lie outside the allocation pools (and may even be the gateway), but it must be
 * inside the CIDR and, in IPv4, not the network or broadcast address; in IPv6 the network
 * (subnet-router anycast) address only for router ports or ports without an owner
 * (`InvalidIpForSubnet`). See `checkSubnetIp` for /31 and /32.
 */
export function validateRequestedAddress(
  subnet: IpamSubnet,
  address: string,
  deviceOwner = '',
  options: ValidateAddressOptions = {},
): string {
  const parsed = parseFixedIp(address)
  if (!checkSubnetIp(parseCidr(subnet.cidr), parsed, deviceOwner)) {
    throw new InvalidIpForSubnet(address)
  }
  const text = formatIp(parsed)
  if (
    options.mac !== undefined &&
    isAutoAddressSubnet(subnet) &&
    !ROUTER_INTERFACE_OWNERS.includes(deviceOwner) &&
    eui64Address(subnet.cidr, options.mac) !== text
  ) {
    throw new AllocationOnAutoAddressSubnet(address, subnetLabel(subnet))
  }
  if (options.taken && sortedValues(options.taken, parsed.version).includes(parsed.value)) {
    throw new IpAddressAlreadyAllocated(text, subnetLabel(subnet))
  }
  return text
}

/**
 * The first of `subnets` on which `address` is valid for the port (a fixed IP given without a
 * subnet), else `InvalidIpForNetwork`.
 */
export function subnetForAddress<S extends IpamSubnet>(
  subnets: readonly S[],
  address: string,
  deviceOwner = '',
): S {
  const parsed = parseFixedIp(address)
  const subnet = subnets.find((s) => checkSubnetIp(parseCidr(s.cidr), parsed, deviceOwner))
  if (!subnet) throw new InvalidIpForNetwork(address)
  return subnet
}

/** True if the address lies in one of the pools (of a subnet, or given directly). */
export function isAddressInPools(
  pools: IpamSubnet | readonly AllocationPool[],
  address: IpLike,
): boolean {
  const list = 'allocation_pools' in pools ? pools.allocation_pools : pools
  const parsed = toIp(address)
  return poolsToRanges(list).some((r) => rangeContains(r, parsed))
}

/**
 * The modified EUI-64 address of `mac` in the prefix (RFC 4291 appendix A; oslo's
 * `get_ipv6_addr_by_EUI64`): ff:fe in the middle of the MAC, universal/local bit flipped.
 */
export function eui64Address(prefix: string, mac: string): string {
  const cidr: Cidr = parseCidr(prefix)
  if (cidr.version !== 6) throw invalidAttribute('cidr', `'${prefix}' is not an IPv6 prefix`)
  const octets = parseMac(mac)
    .split(':')
    .map((o) => BigInt(parseInt(o, 16)))
  const [a, b, c, d, e, f] = octets as [bigint, bigint, bigint, bigint, bigint, bigint]
  const eui = [a ^ 0x02n, b, c, 0xffn, 0xfen, d, e, f].reduce((acc, o) => (acc << 8n) | o, 0n)
  return formatIp(ip(6, (cidr.network + eui) & ((1n << 128n) - 1n)))
}

interface Segment {
  readonly pool: IpRange
  /** The taken addresses inside the pool, sorted, unique. */
  readonly taken: readonly bigint[]
  readonly free: bigint
}

/** The j-th (0-based) free address of the segment. */
function nthFree(segment: Segment, j: bigint): bigint {
  const { pool, taken } = segment
  // The first taken address with more than j free addresses before it.
  let lo = 0
  let hi = taken.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (taken[mid]! - pool.first - BigInt(mid) > j) hi = mid
    else lo = mid + 1
  }
  return pool.first + j + BigInt(lo)
}

function* withGateway(taken: Iterable<IpLike>, gateway: string | null): Iterable<IpLike> {
  yield* taken
  if (gateway !== null) yield gateway
}

function sortedValues(addresses: Iterable<IpLike>, version: IpVersion): bigint[] {
  const values: bigint[] = []
  for (const a of addresses) {
    const parsed: IpAddress = toIp(a)
    if (parsed.version === version) values.push(parsed.value)
  }
  values.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  return values.filter((v, i) => i === 0 || v !== values[i - 1])
}

function lowerBound(values: readonly bigint[], target: bigint): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}

function parseFixedIp(address: string): IpAddress {
  try {
    return parseIp(address)
  } catch {
    throw invalidAttribute('fixed_ips', `'${address}' is not a valid IP address`)
  }
}

function subnetLabel(subnet: IpamSubnet): string {
  return subnet.id ?? subnet.cidr
}
