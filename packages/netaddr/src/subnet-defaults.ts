import { contains, cidrSize, toCidr, type CidrLike } from './cidr.js'
import { ip, toIp, type IpAddress, type IpLike, type IpVersion } from './ip-address.js'

/** An inclusive range of addresses, like a Neutron allocation pool `{ start, end }`. */
export interface IpRange {
  readonly version: IpVersion
  readonly first: bigint
  readonly last: bigint
}

/**
 * The addresses hosts may use, as Neutron's `generate_pools` sees them:
 * - a single-address network (/32, /128): that address;
 * - IPv4 up to /30: all but the network and broadcast addresses;
 * - IPv4 /31: both addresses (RFC 3021 point-to-point);
 * - IPv6: all but the network address, which is the subnet-router anycast address (RFC 4291).
 */
export function usableRange(cidr: CidrLike): IpRange {
  const c = toCidr(cidr)
  const last = c.network + cidrSize(c) - 1n
  if (last === c.network) return range(c.version, c.network, last)
  if (c.version === 4) {
    return c.prefixLength <= 30 ? range(4, c.network + 1n, last - 1n) : range(4, c.network, last)
  }
  return range(6, c.network + 1n, last)
}

/**
 * Neutron's default gateway: the address right after the network address (`10.0.0.1` in
 * `10.0.0.0/24`, `2001:db8::1` in `2001:db8::/64`). Undefined for a single-address network.
 * For a /31 that is the second (last) address; for a /127 the only usable one.
 */
export function defaultGateway(cidr: CidrLike): IpAddress | undefined {
  const c = toCidr(cidr)
  if (cidrSize(c) === 1n) return undefined
  return ip(c.version, c.network + 1n)
}

/**
 * The usable range minus the gateway (if it is inside), as at most two ranges in order: what
 * Neutron uses when a subnet is created without `allocation_pools`. Pass `null` for a subnet
 * without a gateway.
 */
export function allocationPools(cidr: CidrLike, gateway: IpLike | null): IpRange[] {
  const c = toCidr(cidr)
  const usable = usableRange(c)
  // Like Neutron, a single-address network keeps its address even if it is the gateway.
  if (gateway === null || cidrSize(c) === 1n) return [usable]
  const gw = toIp(gateway)
  if (!contains(c, gw) || gw.value < usable.first || gw.value > usable.last) return [usable]
  const pools: IpRange[] = []
  if (gw.value > usable.first) pools.push(range(c.version, usable.first, gw.value - 1n))
  if (gw.value < usable.last) pools.push(range(c.version, gw.value + 1n, usable.last))
  return pools
}

/**
 * The pools of a subnet created with the default gateway: `10.0.0.2`–`10.0.0.254` for
 * `10.0.0.0/24`, `2001:db8::2`–`2001:db8::ffff:ffff:ffff:ffff` for `2001:db8::/64`.
 */
export function defaultAllocationPools(cidr: CidrLike): IpRange[] {
  return allocationPools(cidr, defaultGateway(cidr) ?? null)
}

export function ipRange(first: IpLike, last: IpLike): IpRange {
  const a = toIp(first)
  const b = toIp(last)
  if (a.version !== b.version) throw new RangeError('a range cannot mix IPv4 and IPv6')
  if (a.value > b.value) throw new RangeError('a range must not end before it starts')
  return range(a.version, a.value, b.value)
}

export function rangeSize(r: IpRange): bigint {
  return r.last - r.first + 1n
}

export function rangeStart(r: IpRange): IpAddress {
  return ip(r.version, r.first)
}

export function rangeEnd(r: IpRange): IpAddress {
  return ip(r.version, r.last)
}

function range(version: IpVersion, first: bigint, last: bigint): IpRange {
  return Object.freeze({ version, first, last })
}
