import { cidrSize, toCidr, type Cidr, type CidrLike } from './cidr.js'
import { ADDRESS_BITS, formatIp, ip, toIp, type IpLike, type IpVersion } from './ip-address.js'
import type { IpRange } from './subnet-defaults.js'

/**
 * Set arithmetic on address ranges, as Python netaddr's `IPSet` is used by Neutron (pool
 * overlap, free prefixes of a subnet pool, compacting prefix lists). Everything works on range
 * bounds, never on single addresses, so a /64 costs the same as a /30.
 */

/** All addresses of a network as one range. */
export function cidrRange(cidr: CidrLike): IpRange {
  const c = toCidr(cidr)
  return range(c.version, c.network, c.network + cidrSize(c) - 1n)
}

/** True if `address` lies in the range (always false across IP versions). */
export function rangeContains(r: IpRange, address: IpLike): boolean {
  const a = toIp(address)
  return a.version === r.version && a.value >= r.first && a.value <= r.last
}

/** True if the two ranges share an address. */
export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last
}

/** `start-end`, as Python netaddr prints an `IPRange` (Neutron puts this in its messages). */
export function formatRange(r: IpRange): string {
  return `${formatIp(ip(r.version, r.first))}-${formatIp(ip(r.version, r.last))}`
}

/**
 * The union of `ranges` as sorted, disjoint, non-adjacent ranges (IPv4 first): overlapping and
 * touching ranges are merged, like `IPSet(...).iter_ipranges()`.
 */
export function mergeRanges(ranges: Iterable<IpRange>): IpRange[] {
  const sorted = [...ranges].sort(compareRanges)
  const out: IpRange[] = []
  for (const r of sorted) {
    const prev = out.at(-1)
    if (prev && prev.version === r.version && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = range(r.version, prev.first, r.last)
    } else {
      out.push(r)
    }
  }
  return out
}

/** The addresses of `ranges` that are not in `remove`, merged as by {@link mergeRanges}. */
export function subtractRanges(ranges: Iterable<IpRange>, remove: Iterable<IpRange>): IpRange[] {
  const cuts = mergeRanges(remove)
  const out: IpRange[] = []
  for (const r of mergeRanges(ranges)) {
    let first = r.first
    for (const cut of cuts) {
      if (cut.version !== r.version || cut.last < first) continue
      if (cut.first > r.last) break
      if (cut.first > first) out.push(range(r.version, first, cut.first - 1n))
      first = cut.last + 1n
      if (first > r.last) break
    }
    if (first <= r.last) out.push(range(r.version, first, r.last))
  }
  return out
}

/**
 * The fewest networks that exactly cover the range, lowest first (`10.0.0.1-10.0.0.6` is
 * `.1/32, .2/31, .4/31, .6/32`), like netaddr's `IPRange.cidrs()`. At most 2 × 128 networks.
 */
export function rangeToCidrs(r: IpRange): Cidr[] {
  const bits = ADDRESS_BITS[r.version]
  const out: Cidr[] = []
  let current = r.first
  while (current <= r.last) {
    // The largest block that starts at `current` (alignment) and ends within the range (size).
    const alignment = current === 0n ? bits : trailingZeros(current)
    const fits = bitLength(r.last - current + 1n) - 1
    const hostBits = Math.min(alignment, fits)
    out.push(cidr(r.version, current, bits - hostBits))
    current += 1n << BigInt(hostBits)
  }
  return out
}

/** The union of the networks as the fewest networks covering it, like `IPSet.iter_cidrs()`. */
export function compactCidrs(cidrs: Iterable<CidrLike>): Cidr[] {
  return mergeRanges([...cidrs].map(cidrRange)).flatMap(rangeToCidrs)
}

function compareRanges(a: IpRange, b: IpRange): number {
  if (a.version !== b.version) return a.version - b.version
  return a.first < b.first ? -1 : a.first > b.first ? 1 : 0
}

function trailingZeros(value: bigint): number {
  let n = 0
  while ((value & 1n) === 0n) {
    value >>= 1n
    n++
  }
  return n
}

function bitLength(value: bigint): number {
  return value.toString(2).length
}

function range(version: IpVersion, first: bigint, last: bigint): IpRange {
  return Object.freeze({ version, first, last })
}

function cidr(version: IpVersion, network: bigint, prefixLength: number): Cidr {
  return Object.freeze({ version, network, prefixLength })
}
