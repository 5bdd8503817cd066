/**
 * One security group rule as an nft match (the verdict is the caller's). The packet's family
 * comes first (`meta nfproto`), so a rule without addresses or protocol still matches one
 * family only; protocols are numbers (nft prints their names); a port range is the transport
 * header's destination port, which covers TCP, UDP, SCTP, DCCP and UDP-Lite alike; ICMP's
 * `port_range_min`/`max` are its type and code. Ingress rules match the source address
 * (the remote end sends to the port), egress rules the destination.
 */
import { formatCidr } from '@tricircle/netaddr'
import { ICMP, ICMPV6, PORT_PROTOCOLS, type Ethertype, type FirewallRule } from './group-records.js'

/** The set of a remote group's member addresses of one family. */
export const remoteGroupSetName = (groupId: string, ethertype: Ethertype): string =>
  `rg-${groupId}-${ethertype === 'IPv4' ? 'v4' : 'v6'}`

export function ruleMatch(rule: FirewallRule): string {
  const v4 = rule.ethertype === 'IPv4'
  const parts = [`meta nfproto ${v4 ? 'ipv4' : 'ipv6'}`, ...protocolMatch(rule, v4)]
  const field = `${v4 ? 'ip' : 'ip6'} ${rule.direction === 'ingress' ? 'saddr' : 'daddr'}`
  if (rule.remoteGroupId !== undefined) {
    parts.push(`${field} @${remoteGroupSetName(rule.remoteGroupId, rule.ethertype)}`)
  } else if (rule.remoteIpPrefix !== undefined) {
    parts.push(`${field} ${formatCidr(rule.remoteIpPrefix)}`)
  }
  return parts.join(' ')
}

function protocolMatch(rule: FirewallRule, v4: boolean): string[] {
  const { protocol, portRangeMin: min, portRangeMax: max } = rule
  if (protocol === undefined) return []
  const out = [`meta l4proto ${protocol}`]
  // ICMPv6 in an IPv4 rule can never match; it stays a bare protocol match.
  const icmp = protocol === ICMP && v4 ? 'icmp' : protocol === ICMPV6 && !v4 ? 'icmpv6' : ''
  if (icmp) {
    if (min !== undefined) out.push(`${icmp} type ${min}`)
    if (max !== undefined) out.push(`${icmp} code ${max}`)
  } else if (PORT_PROTOCOLS.has(protocol) && min !== undefined && max !== undefined) {
    out.push(`th dport ${min === max ? min : `${min}-${max}`}`)
  }
  return out
}
