/**
 * The bridge-family table: stateless work at layer 2, where the bridge port of a frame is
 * known (`iifname`/`oifname` are the taps here; in the inet table they are only the bridge).
 * Every frame of the host's bridges passes here, so the common case costs one map lookup and
 * one rule per hook.
 *
 * - `frames-in` (prerouting, -300, before br_netfilter's hook at 0): a frame from a filtered
 *   port goes to its chain, where its source (MAC and address pairs, ARP sender, IPv6
 *   link-local and DAD) must match one rule, which accepts it and, for IP, sets its in-port
 *   mark; anything else (other ether types, VLAN tags included) is dropped. A blocked tap's
 *   frames are dropped by the same map.
 * - `frames-out` (forward, -200, before br_netfilter's forward hook at 0): an IP frame leaving
 *   by a filtered port gets its out-port mark, ARP passes, anything else is dropped.
 * - `frames-checked` (forward, 100, after br_netfilter re-injects what the inet table
 *   accepted, which clears the port bits): a frame still carrying them was never inspected —
 *   the bridge-nf-call sysctls are off or it slipped past br_netfilter — and is dropped (fail
 *   closed).
 * - `frames-to-host` (input): filtered ports may not talk to the host itself (its bridge has
 *   an IPv6 link-local address) beyond ARP, neighbour discovery and MLD.
 *
 * Frames from VXLAN devices carry no bits of ours (decapsulated packets come from another
 * namespace or the wire); if one did, it would only be checked as a port's, never let past one.
 */
import { portMacs, sourceElements } from './addresses.js'
import {
  hex,
  IN_PORT_MASK,
  inPortMark,
  OTHER_BITS,
  OUR_BITS,
  outPortMark,
  PORT_BITS,
} from './marks.js'
import { quote, TABLE_NAME, type NftChain, type NftTable } from './nft-model.js'
import type { FilteredPort } from './ruleset.js'
import { parseCidr } from '@tricircle/netaddr'

const ARP_PROBE = parseCidr('0.0.0.0/32')
/** ICMPv6 a port may send the host: MLD, router and neighbour solicitation and advertisement. */
const NEIGHBOUR_ICMPV6 = '{ 130, 131, 132, 133, 135, 136, 143 }'
/** ICMPv6 a port may send from `::` while its address is tentative: MLD reports, DAD. */
const UNSPECIFIED_SOURCE_ICMPV6 = '{ 131, 135, 143 }'

export function bridgeTable(
  ports: readonly FilteredPort[],
  blockedTaps: readonly string[],
): NftTable {
  const clear = `meta mark set meta mark and ${hex(OTHER_BITS)}`
  const ours = `meta mark and ${hex(OUR_BITS)} != 0`
  const blocked = new Set(blockedTaps)
  const filtered = ports.filter((p) => !blocked.has(p.tap))
  const dropBlocked = blockedTaps.map((tap) => `${quote(tap)} : drop`)
  return {
    family: 'bridge',
    name: TABLE_NAME,
    comment: 'tricircle host agent: security groups, layer 2 (do not edit)',
    sets: [
      verdictMap('in-ports', [
        ...filtered.map((p) => `${quote(p.tap)} : jump ${fromChain(p)}`),
        ...dropBlocked,
      ]),
      verdictMap('out-ports', [
        ...filtered.map((p) => `${quote(p.tap)} : jump ${toChain(p)}`),
        ...dropBlocked,
      ]),
    ],
    chains: [
      {
        name: 'frames-in',
        hook: { hook: 'prerouting', priority: -300 },
        rules: ['iifname vmap @in-ports'],
      },
      {
        name: 'frames-out',
        hook: { hook: 'forward', priority: -200 },
        rules: ['oifname vmap @out-ports'],
      },
      {
        name: 'frames-checked',
        hook: { hook: 'forward', priority: 100 },
        rules: [`meta mark and ${hex(PORT_BITS)} != 0 drop`],
      },
      {
        name: 'frames-to-host',
        hook: { hook: 'input', priority: -200 },
        rules: [
          `meta mark and ${hex(IN_PORT_MASK)} != 0 meta l4proto != 58 drop`,
          `meta mark and ${hex(IN_PORT_MASK)} != 0 icmpv6 type != ${NEIGHBOUR_ICMPV6} drop`,
          `${ours} ${clear}`,
        ],
      },
      ...filtered.flatMap((p) => [fromPortChain(p), toPortChain(p)]),
    ],
  }
}

const fromChain = (p: FilteredPort) => `from-${p.port.id}`
const toChain = (p: FilteredPort) => `to-${p.port.id}`

function verdictMap(name: string, elements: string[]) {
  return { name, kind: 'map' as const, declaration: ['type ifname : verdict'], elements }
}

function fromPortChain(p: FilteredPort): NftChain {
  const { port } = p
  const mark = `meta mark set meta mark and ${hex(OTHER_BITS)} or ${hex(inPortMark(p.index))}`
  const macs = `ether saddr { ${portMacs(port).join(', ')} }`
  // ARP probes (sender 0.0.0.0, RFC 5227) poison no cache: allowed from the port's MAC.
  const arp = sourceElements(port, 4, [ARP_PROBE])
  const v4 = sourceElements(port, 4)
  const v6 = sourceElements(port, 6)
  // The most frequent first: each rule checks the MAC as well, and the first match ends it.
  return {
    name: fromChain(p),
    rules: [
      ...(v4.length > 0
        ? [`ether type ip ether saddr . ip saddr { ${v4.join(', ')} } ${mark} accept`]
        : []),
      `ether type ip6 ether saddr . ip6 saddr { ${v6.join(', ')} } ${mark} accept`,
      `ether type arp ${macs} arp saddr ether . arp saddr ip { ${arp.join(', ')} } accept`,
      `ether type ip6 ${macs} ip6 saddr :: icmpv6 type ${UNSPECIFIED_SOURCE_ICMPV6} ${mark} accept`,
      'drop',
    ],
  }
}

function toPortChain(p: FilteredPort): NftChain {
  return {
    name: toChain(p),
    rules: [
      `ether type { ip, ip6 } meta mark set meta mark and ${hex(OTHER_BITS | IN_PORT_MASK)} or ${hex(outPortMark(p.index))} accept`,
      'ether type arp accept',
      'drop',
    ],
  }
}
