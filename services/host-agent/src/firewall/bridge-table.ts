/**
 * The bridge-family table: stateless work at layer 2, where the bridge port of a frame is
 * known (`iifname`/`oifname` are the taps here; in the inet table they are only the bridge).
 *
 * - `frames-in` (prerouting, -300, before br_netfilter's hook at 0): a frame from a filtered
 *   port gets its in-port mark and passes anti-spoofing (source MAC, MAC + source IP pairs,
 *   ARP sender, IPv6 link-local and DAD); anything but ARP, IPv4 and IPv6 (VLAN tags
 *   included) is dropped. Frames from VXLAN devices lose any stale bits of ours.
 * - `frames-out` (forward, -200, before br_netfilter's forward hook at 0): a frame leaving by
 *   a filtered port gets its out-port mark; anything but ARP, IPv4 and IPv6 is dropped.
 * - `frames-checked` (forward, 100, after br_netfilter re-injects what the inet table
 *   accepted): a marked IP frame the inet table never inspected is dropped — fail closed if
 *   the bridge-nf-call sysctls are off or a frame slips past br_netfilter — and our bits are
 *   cleared before the frame leaves.
 * - `frames-to-host` (input): filtered ports may not talk to the host itself (its bridge has
 *   an IPv6 link-local address) beyond ARP, neighbour discovery and MLD.
 */
import { portMacs, sourceElements } from './addresses.js'
import {
  hex,
  IN_PORT_MASK,
  INSPECTED,
  inPortMark,
  OTHER_BITS,
  OUR_BITS,
  OUT_PORT_MASK,
  outPortMark,
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
  return {
    family: 'bridge',
    name: TABLE_NAME,
    comment: 'tricircle host agent: security groups, layer 2 (do not edit)',
    sets: [
      verdictMap(
        'in-ports',
        ports.map((p) => `${quote(p.tap)} : jump ${fromChain(p)}`),
      ),
      verdictMap(
        'out-ports',
        ports.map((p) => `${quote(p.tap)} : jump ${toChain(p)}`),
      ),
      {
        name: 'blocked-taps',
        kind: 'set',
        declaration: ['type ifname'],
        elements: blockedTaps.map(quote),
      },
    ],
    chains: [
      {
        name: 'frames-in',
        hook: { hook: 'prerouting', priority: -300 },
        rules: [
          'iifname @blocked-taps drop',
          'iifname vmap @in-ports',
          `iifname "vxlan-*" ${clear}`,
        ],
      },
      {
        name: 'frames-out',
        hook: { hook: 'forward', priority: -200 },
        rules: ['oifname @blocked-taps drop', 'oifname vmap @out-ports'],
      },
      {
        name: 'frames-checked',
        hook: { hook: 'forward', priority: 100 },
        rules: [
          `meta mark and ${hex(INSPECTED)} == 0 meta mark and ${hex(IN_PORT_MASK | OUT_PORT_MASK)} != 0 ether type != arp drop`,
          `${ours} ${clear}`,
        ],
      },
      {
        name: 'frames-to-host',
        hook: { hook: 'input', priority: -200 },
        rules: [
          `meta mark and ${hex(IN_PORT_MASK)} != 0 ether type != arp meta l4proto != 58 drop`,
          `meta mark and ${hex(IN_PORT_MASK)} != 0 icmpv6 type != ${NEIGHBOUR_ICMPV6} drop`,
          `${ours} ${clear}`,
        ],
      },
      ...ports.flatMap((p) => [fromPortChain(p), toPortChain(p)]),
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
  // ARP probes (sender 0.0.0.0, RFC 5227) poison no cache: allowed from the port's MAC.
  const arp = sourceElements(port, 4, [ARP_PROBE])
  const v4 = sourceElements(port, 4)
  const v6 = sourceElements(port, 6)
  return {
    name: fromChain(p),
    rules: [
      `meta mark set meta mark and ${hex(OTHER_BITS)} or ${hex(inPortMark(p.index))}`,
      `ether saddr != { ${portMacs(port).join(', ')} } drop`,
      `ether type arp arp saddr ether . arp saddr ip { ${arp.join(', ')} } accept`,
      ...(v4.length > 0
        ? [`ether type ip ether saddr . ip saddr { ${v4.join(', ')} } accept`]
        : []),
      `ether type ip6 ether saddr . ip6 saddr { ${v6.join(', ')} } accept`,
      `ether type ip6 ip6 saddr :: icmpv6 type ${UNSPECIFIED_SOURCE_ICMPV6} accept`,
      'drop',
    ],
  }
}

function toPortChain(p: FilteredPort): NftChain {
  return {
    name: toChain(p),
    rules: [
      `meta mark set meta mark and ${hex(OTHER_BITS | IN_PORT_MASK)} or ${hex(outPortMark(p.index))}`,
      'ether type != { arp, ip, ip6 } drop',
    ],
  }
}
