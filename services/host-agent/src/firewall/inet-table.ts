/**
 * The inet-family table: the stateful decisions. br_netfilter shows it every IPv4/IPv6 packet
 * the host's bridges forward (`bridge-nf-call-iptables`/`-ip6tables`), with conntrack, but
 * with the bridge as `iifname`/`oifname`: which ports a packet is between comes from the marks
 * the bridge table set.
 *
 * - `conntrack-zones` (prerouting, -300, before conntrack at -200): each network's bridge gets
 *   its own conntrack zone, so equal addresses in two tenants' networks never share an entry.
 * - `port-egress` (forward, 0): marks the packet inspected, then the in-port's egress chain.
 * - `port-ingress` (forward, 10): the out-port's ingress chain. A separate base chain, so an
 *   egress `accept` still leaves the destination port's ingress check to run.
 *
 * A port's chain: common checks (invalid dropped; related and reply-direction packets
 * accepted; ICMPv6 that IPv6 needs: neighbour discovery, MLD; router advertisements from a
 * container dropped), then its groups' chains (any rule accepts), then drop. Packets in the
 * original direction of an established connection are checked against the rules again, not
 * accepted by their state: removing a rule or a remote group member cuts connections it
 * allowed, as Neutron does by deleting their conntrack entries.
 */
import { createHash } from 'node:crypto'
import { memberElements } from './addresses.js'
import type { FirewallGroup } from './group-records.js'
import { hex, IN_PORT_MASK, INSPECTED, inPortMark, OUT_PORT_MASK, outPortMark } from './marks.js'
import { quote, TABLE_NAME, type NftChain, type NftSet, type NftTable } from './nft-model.js'
import type { FilteredPort } from './ruleset.js'
import { remoteGroupSetName, ruleMatch } from './rules.js'
import type { Cidr } from '@tricircle/netaddr'

/** The bridge of a network on a host: `brq` + 11 characters of its id (Neutron's name). */
export const firewallBridgeName = (networkId: string): string => `brq${networkId.slice(0, 11)}`

export interface InetTableInput {
  readonly ports: readonly FilteredPort[]
  /** The groups the ports use, by id (missing ones have been reported). */
  readonly groups: ReadonlyMap<string, FirewallGroup>
  /** Group id → member addresses, for the remote groups the rules name. */
  readonly members: ReadonlyMap<string, readonly Cidr[]>
  /** Networks with ports on this host, by id (repeats allowed). */
  readonly networks: readonly string[]
}

export function inetTable(input: InetTableInput): NftTable {
  const usedGroups = [...new Set(input.ports.flatMap((p) => p.groups))].sort()
  const zones = conntrackZones(input.networks.map(firewallBridgeName))
  return {
    family: 'inet',
    name: TABLE_NAME,
    comment: 'tricircle host agent: security groups, stateful (do not edit)',
    sets: [
      {
        name: 'bridge-zones',
        kind: 'map',
        declaration: ['typeof iifname : ct zone'],
        elements: [...zones].map(([bridge, zone]) => `${quote(bridge)} : ${zone}`),
      },
      markMap(
        'egress-ports',
        input.ports.map((p) => `${hex(inPortMark(p.index))} : jump egress-${p.port.id}`),
      ),
      markMap(
        'ingress-ports',
        input.ports.map((p) => `${hex(outPortMark(p.index))} : jump ingress-${p.port.id}`),
      ),
      ...remoteGroupSets(usedGroups, input),
    ],
    chains: [
      {
        name: 'conntrack-zones',
        hook: { hook: 'prerouting', priority: -300 },
        rules: ['ct zone set iifname map @bridge-zones'],
      },
      {
        name: 'port-egress',
        hook: { hook: 'forward', priority: 0 },
        rules: [
          `meta mark and ${hex(IN_PORT_MASK | OUT_PORT_MASK)} != 0 meta mark set meta mark or ${hex(INSPECTED)}`,
          `meta mark and ${hex(IN_PORT_MASK)} vmap @egress-ports`,
        ],
      },
      {
        name: 'port-ingress',
        hook: { hook: 'forward', priority: 10 },
        rules: [`meta mark and ${hex(OUT_PORT_MASK)} vmap @ingress-ports`],
      },
      { name: 'egress-common', rules: [...STATE_CHECKS, ...EGRESS_ICMPV6] },
      { name: 'ingress-common', rules: [...STATE_CHECKS, ...INGRESS_ICMPV6] },
      ...input.ports.flatMap((p) => [portChain(p, 'egress'), portChain(p, 'ingress')]),
      ...usedGroups.flatMap((id) => [
        groupChain(id, 'egress', input),
        groupChain(id, 'ingress', input),
      ]),
    ],
  }
}

const STATE_CHECKS = [
  'ct state invalid drop',
  'ct state related accept',
  'ct direction reply accept',
]
/** Neutron's `ICMPV6_ALLOWED_EGRESS_TYPES` (MLD, RS, NS, NA); router advertisements dropped. */
const EGRESS_ICMPV6 = [
  'meta nfproto ipv6 icmpv6 type 134 drop',
  'meta nfproto ipv6 icmpv6 type { 130, 131, 132, 133, 135, 136, 143 } accept',
]
/** Neutron's `ICMPV6_ALLOWED_INGRESS_TYPES` (MLD query, NS, NA). */
const INGRESS_ICMPV6 = ['meta nfproto ipv6 icmpv6 type { 130, 135, 136 } accept']

function markMap(name: string, elements: string[]): NftSet {
  return { name, kind: 'map', declaration: ['type mark : verdict'], elements }
}

function portChain(p: FilteredPort, direction: 'egress' | 'ingress'): NftChain {
  return {
    name: `${direction}-${p.port.id}`,
    rules: [
      `jump ${direction}-common`,
      ...p.groups.map((id) => `jump sg-${direction}-${id}`),
      'drop',
    ],
  }
}

function groupChain(
  groupId: string,
  direction: 'egress' | 'ingress',
  input: InetTableInput,
): NftChain {
  const rules = (input.groups.get(groupId)?.rules ?? []).filter((r) => r.direction === direction)
  const matches = [...new Set(rules.map(ruleMatch))].sort()
  return { name: `sg-${direction}-${groupId}`, rules: matches.map((m) => `${m} accept`) }
}

/**
 * One interval set per family for every group a used group's rule names as its remote; its
 * elements are the members' networks unmerged (`memberElements`), so a member joining only
 * adds an element.
 */
function remoteGroupSets(usedGroups: readonly string[], input: InetTableInput): NftSet[] {
  const remotes = new Set<string>()
  for (const id of usedGroups) {
    for (const rule of input.groups.get(id)?.rules ?? []) {
      if (rule.remoteGroupId !== undefined) remotes.add(rule.remoteGroupId)
    }
  }
  return [...remotes].sort().flatMap((id) => {
    const members = input.members.get(id) ?? []
    return ([4, 6] as const).map((version) => ({
      name: remoteGroupSetName(id, version === 4 ? 'IPv4' : 'IPv6'),
      kind: 'set' as const,
      declaration: [`type ipv${version}_addr`, 'flags interval'],
      elements: memberElements(members, version),
    }))
  })
}

/**
 * Bridge → conntrack zone (1–65535): a hash of its name, so a network keeps its zone while
 * others come and go; a collision moves the later name (in sorted order) to the next free
 * zone. Repeated names (two networks whose ids share 11 characters) count once.
 */
export function conntrackZones(bridges: readonly string[]): Map<string, number> {
  const zones = new Map<string, number>()
  const used = new Set<number>()
  for (const bridge of [...new Set(bridges)].sort()) {
    let zone = (createHash('sha256').update(bridge).digest().readUInt16BE(0) % 65535) + 1
    while (used.has(zone)) zone = (zone % 65535) + 1
    used.add(zone)
    zones.set(bridge, zone)
  }
  return zones
}
