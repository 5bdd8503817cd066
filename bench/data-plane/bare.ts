/**
 * The hand-built baselines our path is compared with: veth → Linux bridge → VXLAN (static
 * forwarding entry, no learning) → the lab's underlay → the same back down, MTU 1450, built with
 * iproute2 alone, between two "hosts" of their own: namespaces joined to the lab's underlay
 * bridge like the lab's hosts, each holding only that bridge, VXLAN device and veth, and a
 * namespace per end like a container's.
 *
 * `bare` is the baseline: br_netfilter's bridge-nf-call switches at 0 and no nftables, so no
 * filtering and no connection tracking anywhere on the path. The other variants add, one step
 * at a time, what our path has, to attribute its cost (`--attribute`):
 *
 * - `brnf`: bridge-nf-call-iptables/ip6tables at 1 (a new namespace's default), no tables:
 *   br_netfilter's own work per bridged packet, with nothing behind its hooks;
 * - `conntrack`: `brnf` plus a minimal stateful table (the bridge's packets given a conntrack
 *   zone at prerouting, as ours does, and an `invalid` drop in forward): every bridged packet
 *   tracked, and so is every VXLAN packet of the host (outer UDP), as in our hosts' namespaces;
 * - `notrack`: `conntrack` with the outer VXLAN packets exempted (`udp dport 4789 notrack` at
 *   raw priority, prerouting and output): what tracking the tunnel's own packets costs;
 * - `inhost` (the bench's only baseline before the paired method): the bare devices inside the
 *   lab hosts' own namespaces, next to ours, so with our tables, conntrack and br_netfilter:
 *   everything of our path but the per-port chains.
 *
 * Every namespace is named under the lab's prefix, so the lab's `down()` removes it.
 */
import { bridgeBatch, ipBatch, nftScript, runIn } from '@tricircle/iproute'
import type { LabPlan } from '@tricircle/lab'
import type { PathEnds } from './transfer.js'

export const BASELINES = ['bare', 'brnf', 'conntrack', 'notrack'] as const
export type Baseline = (typeof BASELINES)[number]

const MACS = ['02:00:0a:63:00:01', '02:00:0a:63:00:02'] as const
const MTU = '1450'
const VXLAN_PORT = '4789'

/** A host's part of a baseline: where its devices live and its tunnel address. */
interface TunnelHost {
  readonly netns: string
  readonly tunnelIp: string
  readonly tunnelDevice: string
}

/** The devices of end `i` in `host`, to a new endpoint namespace `ns` (10.99.<k>.<i+1>). */
async function wire(host: TunnelHost, other: TunnelHost, ns: string, i: number, k: number) {
  const ip = `10.99.${k}.${i + 1}`
  await ipBatch([['netns', 'add', ns]])
  await ipBatch(
    [
      ['link', 'add', 'brbare', 'mtu', MTU, 'type', 'bridge'],
      [
        ...['link', 'add', 'vxbare', 'mtu', MTU, 'type', 'vxlan', 'id', String(4000 + k)],
        ...['local', host.tunnelIp, 'dstport', VXLAN_PORT, 'dev', host.tunnelDevice],
        'nolearning',
      ],
      ['link', 'set', 'vxbare', 'master', 'brbare', 'up'],
      ['link', 'set', 'brbare', 'up'],
      [
        ...['link', 'add', 'vbare', 'mtu', MTU, 'type', 'veth'],
        ...['peer', 'name', 'eth0', 'netns', ns, 'mtu', MTU, 'address', MACS[i]!],
      ],
      ['link', 'set', 'vbare', 'master', 'brbare', 'up'],
    ],
    { netns: host.netns },
  )
  await bridgeBatch(
    [
      [
        ...['fdb', 'append', MACS[1 - i]!, 'dev', 'vxbare'],
        ...['dst', other.tunnelIp, 'self', 'permanent'],
      ],
    ],
    { netns: host.netns },
  )
  await ipBatch(
    [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', `${ip}/24`, 'dev', 'eth0'],
      ['link', 'set', 'eth0', 'up'],
      ['neigh', 'replace', `10.99.${k}.${2 - i}`, 'lladdr', MACS[1 - i]!, 'dev', 'eth0'],
    ],
    { netns: ns },
  )
  return ip
}

const CONNTRACK_TABLE = `
table inet bench_ct {
  chain zones { type filter hook prerouting priority raw; policy accept; iifname "brbare" ct zone set 1; }
  chain forward { type filter hook forward priority filter; policy accept; ct state invalid drop; }
}
`
const NOTRACK_TABLE = `
table inet bench_notrack {
  chain in { type filter hook prerouting priority raw - 10; policy accept; udp dport ${VXLAN_PORT} notrack; }
  chain out { type filter hook output priority raw - 10; policy accept; udp dport ${VXLAN_PORT} notrack; }
}
`

/** A baseline between two host namespaces of its own on the lab's underlay; sends from the first. */
export async function buildBaseline(plan: LabPlan, variant: Baseline): Promise<PathEnds> {
  const k = BASELINES.indexOf(variant)
  const { underlay } = plan
  const [base, prefix] = underlay.cidr.split('/') as [string, string]
  if (prefix !== '24') throw new Error(`baseline: underlay ${underlay.cidr} is not a /24`)
  const net = base.split('.').slice(0, 3).join('.')
  const taken = new Set(plan.hosts.map((h) => h.tunnelIp))
  const hosts: TunnelHost[] = [0, 1].map((i) => {
    const tunnelIp = `${net}.${200 + 2 * k + i}`
    if (taken.has(tunnelIp)) throw new Error(`baseline: ${tunnelIp} is a lab host's`)
    return { netns: `${plan.name}-${variant}host-${i + 1}`, tunnelIp, tunnelDevice: 'ul0' }
  })
  for (const [i, host] of hosts.entries()) {
    const port = `ul${variant.slice(0, 4)}-${i + 1}`
    await ipBatch([['netns', 'add', host.netns]])
    await ipBatch(
      [
        [
          ...['link', 'add', port, 'mtu', String(underlay.mtu), 'type', 'veth'],
          ...['peer', 'name', 'ul0', 'mtu', String(underlay.mtu), 'netns', host.netns],
        ],
        ['link', 'set', port, 'master', underlay.bridge, 'up'],
      ],
      { netns: underlay.netns },
    )
    await ipBatch(
      [
        ['link', 'set', 'lo', 'up'],
        ['addr', 'add', `${host.tunnelIp}/${prefix}`, 'dev', 'ul0'],
        ['link', 'set', 'ul0', 'up'],
      ],
      { netns: host.netns },
    )
    // A new namespace starts with them at 1 (br_netfilter is built into this kernel).
    const on = variant === 'bare' ? '0' : '1'
    await runIn(host.netns, 'sysctl', [
      ...['-q', '-w', `net.bridge.bridge-nf-call-iptables=${on}`],
      ...[`net.bridge.bridge-nf-call-ip6tables=${on}`, 'net.bridge.bridge-nf-call-arptables=0'],
    ])
    if (variant === 'conntrack' || variant === 'notrack') {
      await nftScript(CONNTRACK_TABLE, { netns: host.netns })
    }
    if (variant === 'notrack') await nftScript(NOTRACK_TABLE, { netns: host.netns })
  }
  const ips: string[] = []
  for (const [i, host] of hosts.entries()) {
    ips.push(await wire(host, hosts[1 - i]!, `${plan.name}-${variant}-${i + 1}`, i, k))
  }
  return {
    from: `${plan.name}-${variant}-1`,
    fromIp: ips[0]!,
    to: `${plan.name}-${variant}-2`,
    toIp: ips[1]!,
  }
}

/** `inhost`: the bare devices in the first two lab hosts' own namespaces, next to ours. */
export async function buildInHost(plan: LabPlan): Promise<PathEnds> {
  const hosts = plan.hosts.slice(0, 2)
  if (hosts.length < 2) throw new Error('inhost path: the lab needs two hosts')
  const ips: string[] = []
  for (const [i, host] of hosts.entries()) {
    ips.push(await wire(host, hosts[1 - i]!, `${plan.name}-inhost-${i + 1}`, i, 10))
  }
  return {
    from: `${plan.name}-inhost-1`,
    fromIp: ips[0]!,
    to: `${plan.name}-inhost-2`,
    toIp: ips[1]!,
  }
}
