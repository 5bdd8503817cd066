/**
 * Address sets as nft elements. Interval sets refuse overlapping elements, so a list is either
 * merged into disjoint, non-adjacent ranges (a fixed IP inside an allowed pair's CIDR becomes
 * one element: `addressElements`, for the sets inside a rule) or reduced to the networks that
 * are inside no other (`memberElements`, for the named sets a member joining adds to); the
 * kernel then lists exactly as many elements as were written, which is what drift detection
 * counts.
 */
import {
  cidrRange,
  formatIp,
  ip,
  mergeRanges,
  parseCidr,
  type Cidr,
  type IpRange,
  type IpVersion,
} from '@tricircle/netaddr'
import type { FirewallPort } from './port-records.js'

/** `10.0.0.1` for one address, `10.0.0.8-10.0.0.20` for a range (nft may print a prefix). */
export function rangeElement(range: IpRange): string {
  const first = formatIp(ip(range.version, range.first))
  return range.first === range.last ? first : `${first}-${formatIp(ip(range.version, range.last))}`
}

/** The networks of one version as merged nft elements, sorted. */
export function addressElements(cidrs: Iterable<Cidr>, version: IpVersion): string[] {
  const ranges = [...cidrs].filter((c) => c.version === version).map(cidrRange)
  return mergeRanges(ranges).map(rangeElement)
}

/**
 * The networks of one version as elements that a new member only adds to: each network not
 * inside another, as written (`10.0.0.5`, `10.1.0.0/24`), ordered by address. Networks either
 * nest or are disjoint, so these never overlap; adjacent ones stay separate elements, which
 * the kernel keeps and lists one by one.
 */
export function memberElements(cidrs: Iterable<Cidr>, version: IpVersion): string[] {
  const ranges = [...cidrs].filter((c) => c.version === version).map(cidrRange)
  ranges.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : b.last > a.last ? 1 : -1))
  const kept: IpRange[] = []
  for (const range of ranges) {
    const last = kept.at(-1)
    if (last && range.last <= last.last) continue // inside the one before (or the same)
    kept.push(range)
  }
  return kept.map(prefixElement)
}

/** A network's range as nft reads it: the address alone for a host, else `address/length`. */
function prefixElement(range: IpRange): string {
  const first = formatIp(ip(range.version, range.first))
  const size = range.last - range.first + 1n
  if (size === 1n) return first
  const bits = range.version === 4 ? 32 : 128
  return `${first}/${bits - (size.toString(2).length - 1)}`
}

/** Every address a port may use: its fixed IPs and its allowed pairs' addresses or CIDRs. */
export const portAddresses = (port: FirewallPort): Cidr[] => [
  ...port.fixedIps,
  ...port.allowedAddressPairs.map((pair) => pair.cidr),
]

/**
 * Security group id → the addresses of its member ports, anywhere in the region's data
 * (shadow copies of other regions' ports included): what a `remote_group_id` rule matches.
 */
export function groupMembers(ports: Iterable<FirewallPort>): Map<string, Cidr[]> {
  const members = new Map<string, Cidr[]>()
  for (const port of ports) {
    for (const groupId of port.securityGroups) {
      let list = members.get(groupId)
      if (!list) members.set(groupId, (list = []))
      list.push(...portAddresses(port))
    }
  }
  return members
}

/** The IPv6 link-local address the kernel derives from a MAC (modified EUI-64), as a /128. */
export function eui64LinkLocal(mac: string): Cidr {
  const b = mac.split(':').map((octet) => parseInt(octet, 16))
  const groups = [
    ((b[0]! ^ 0x02) << 8) | b[1]!,
    (b[2]! << 8) | 0xff,
    (0xfe << 8) | b[3]!,
    (b[4]! << 8) | b[5]!,
  ]
  return parseCidr(`fe80::${groups.map((g) => g.toString(16)).join(':')}/128`)
}

/**
 * `mac . address` elements of the sources a port may send from: each fixed IP with the port's
 * MAC, each allowed pair with its MAC, and (IPv6) each of those MACs' EUI-64 link-local address;
 * `extra` adds sources for the port's own MAC. Merged per MAC, sorted.
 */
export function sourceElements(
  port: FirewallPort,
  version: IpVersion,
  extra: readonly Cidr[] = [],
): string[] {
  const byMac = new Map<string, Cidr[]>([[port.mac, [...port.fixedIps, ...extra]]])
  for (const pair of port.allowedAddressPairs) {
    const list = byMac.get(pair.mac) ?? []
    byMac.set(pair.mac, [...list, pair.cidr])
  }
  const out: string[] = []
  for (const [mac, cidrs] of [...byMac].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const all = version === 6 ? [...cidrs, eui64LinkLocal(mac)] : cidrs
    out.push(...addressElements(all, version).map((element) => `${mac} . ${element}`))
  }
  return out
}

/** The MACs a port may send from: its own and its allowed pairs', sorted. */
export function portMacs(port: FirewallPort): string[] {
  return [...new Set([port.mac, ...port.allowedAddressPairs.map((p) => p.mac)])].sort()
}
