/**
 * The inet-family table: the stateful decisions. br_netfilter shows it every IPv4/IPv6 packet
 * the host's bridges forward (`bridge-nf-call-iptables`/`-ip6tables`), with conntrack, but
 * with the bridge as `iifname`/`oifname`: which ports a packet is between comes from the marks
 * the bridge table set.
 *
 * - `conntrack-zones` (prerouting, -300, before conntrack at -200): each network's bridge gets
 *   its own conntrack zone, so equal addresses in two tenants' networks never share an entry.
 * - `ports` (forward, 0), one base chain for both ends: packets of no filtered port pass; then
 *   the fast path, which is most packets: invalid ones dropped, replies and related packets
 *   accepted, and so is the original direction of a connection already allowed under this
 *   ruleset generation to the same out-port (`ct mark . out-port` found in `connections`).
 *   Any other packet is checked against the in-port's egress chain, then the out-port's
 *   ingress chain (each returns if its port's groups allow it, drops it otherwise), and the
 *   connection is stamped with the generation and that out-port.
 *
 * Every accept clears the port bits, which the bridge table's `frames-checked` requires.
 *
 * The generation (`ct mark` bits 12–31, `marks.ts`) stands for the rules a connection was
 * allowed under. Changes that only add (a port joining, a member joining a remote group) keep
 * it: they allow more and never less. Every other change installs a new one, so each
 * established connection is checked against the rules again at its next packet, and one they
 * no longer allow is cut, as Neutron cuts it by deleting its conntrack entries. The out-port
 * is part of the stamp because conntrack knows flows, not ports: a flooded frame (a MAC the
 * bridge has not learnt) reaches every port of the network, and a flow one port admits must
 * not be let into another on that port's say.
 *
 * A port's chain: ICMPv6 that IPv6 needs (neighbour discovery, MLD; router advertisements
 * from a container dropped), then its groups' chains (a matching rule marks the packet
 * passed), then drop unless one did.
 */
import { createHash } from 'node:crypto'
import { memberElements } from './addresses.js'
import type { FirewallGroup } from './group-records.js'
import {
  connectionMark,
  hex,
  IN_PORT_MASK,
  inPortMark,
  OTHER_BITS,
  OUT_PORT_MASK,
  outPortMark,
  PASSED,
  PORT_BITS,
} from './marks.js'
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
  /** The ruleset generation connections are stamped with (1–`MAX_GENERATION`). */
  readonly generation: number
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
      {
        name: 'connections',
        kind: 'map',
        declaration: ['type mark . mark : verdict'],
        elements: [0, ...input.ports.map((p) => p.index)].map(
          (index) =>
            `${hex(connectionMark(input.generation, index))} . ${hex(outPortMark(index))} : goto allowed`,
        ),
      },
      ...remoteGroupSets(usedGroups, input),
    ],
    chains: [
      {
        name: 'conntrack-zones',
        hook: { hook: 'prerouting', priority: -300 },
        rules: ['ct zone set iifname map @bridge-zones'],
      },
      {
        name: 'ports',
        hook: { hook: 'forward', priority: 0 },
        rules: [
          `meta mark and ${hex(PORT_BITS)} == 0 accept`,
          'ct state invalid drop',
          `ct direction reply ${CLEAR} accept`,
          `ct mark . meta mark and ${hex(OUT_PORT_MASK)} vmap @connections`,
          `ct state related ${CLEAR} accept`,
          `meta mark and ${hex(IN_PORT_MASK)} vmap @egress-ports`,
          `meta mark and ${hex(OUT_PORT_MASK)} vmap @ingress-ports`,
          `ct mark set meta mark and ${hex(OUT_PORT_MASK)} or ${hex(connectionMark(input.generation, 0))} ${CLEAR} accept`,
        ],
      },
      { name: 'allowed', rules: [`${CLEAR} accept`] },
      ...input.ports.flatMap((p) => [portChain(p, 'egress'), portChain(p, 'ingress')]),
      ...usedGroups.flatMap((id) => [
        groupChain(id, 'egress', input),
        groupChain(id, 'ingress', input),
      ]),
    ],
  }
}

/** Clears the port bits of an accepted packet (`frames-checked` drops what still has them). */
const CLEAR = `meta mark set meta mark and ${hex(OTHER_BITS)}`
/** Neutron's `ICMPV6_ALLOWED_EGRESS_TYPES` (MLD, RS, NS, NA); router advertisements dropped. */
const EGRESS_ICMPV6 = [
  'meta nfproto ipv6 icmpv6 type 134 drop',
  'meta nfproto ipv6 icmpv6 type { 130, 131, 132, 133, 135, 136, 143 } return',
]
/** Neutron's `ICMPV6_ALLOWED_INGRESS_TYPES` (MLD query, NS, NA). */
const INGRESS_ICMPV6 = ['meta nfproto ipv6 icmpv6 type { 130, 135, 136 } return']

function markMap(name: string, elements: string[]): NftSet {
  return { name, kind: 'map', declaration: ['type mark : verdict'], elements }
}

function portChain(p: FilteredPort, direction: 'egress' | 'ingress'): NftChain {
  return {
    name: `${direction}-${p.port.id}`,
    rules: [
      ...(direction === 'egress' ? EGRESS_ICMPV6 : INGRESS_ICMPV6),
      ...p.groups.map((id) => `jump sg-${direction}-${id}`),
      `meta mark and ${hex(PASSED)} != 0 meta mark set meta mark and ${hex(~PASSED >>> 0)} return`,
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
  return {
    name: `sg-${direction}-${groupId}`,
    rules: matches.map((m) => `${m} meta mark set meta mark or ${hex(PASSED)} return`),
  }
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
