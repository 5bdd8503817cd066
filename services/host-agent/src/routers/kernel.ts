/**
 * Routers in the kernel: one network namespace per router, its legs veth pairs whose host end is
 * the leg port's tap (plugged into the network's bridge by the L2 part), addresses, routes, and
 * an nftables `ip tricircle` table for SNAT and floating IPs.
 *
 * Level-triggered like the L2 part: `readRouters` reads every router namespace with our prefix
 * (`ip -j` links, addresses, routes; the forwarding sysctl; the NAT table's digest and rule
 * count), `planRouters` (pure) gives the commands that make it the desired state (nothing for a
 * router that is right), `applyRouterPlan` runs them in batches. Namespaces with our prefix that
 * no router wants are deleted, which takes their veths (and so the taps) along. Only devices
 * named `qr-…`/`qg-…` inside our namespaces are ever changed.
 */
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { ipBatch, ipJson, runIn, type IpCommand } from '@tricircle/iproute'
import { tapName } from '../desired.js'
import type { DesiredRouter, RouterLeg } from './desired.js'

const NAT_TABLE = 'tricircle'
/** nft 1.0.6 shows no table comment in JSON, so the digest rides on a rule that only matches. */
const DIGEST_PREFIX = 'tricircle:'
const LEG = /^(qr|qg)-/

/** Sysctls of a router namespace: forward, and accept what arrives on another leg than it left. */
const ROUTER_SYSCTLS = [
  'net.ipv4.ip_forward=1',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
  'net.ipv4.conf.all.send_redirects=0',
  'net.ipv4.conf.default.send_redirects=0',
]

export interface ActualRouterLink {
  readonly name: string
  readonly mac: string
  readonly mtu: number
  readonly up: boolean
}

export interface ActualRouter {
  readonly namespace: string
  readonly forwarding: boolean
  readonly links: ReadonlyMap<string, ActualRouterLink>
  /** Device → `address/prefix` (global scope). */
  readonly addresses: ReadonlyMap<string, readonly string[]>
  /** IPv4 routes with a next hop. */
  readonly routes: readonly { readonly destination: string; readonly via: string }[]
  /** The NAT table's digest (its comment) and rule count; undefined when it has none. */
  readonly nat?: { readonly digest: string; readonly rules: number }
}

export interface RouterPlan {
  /** Run in the root namespace (`ip netns add|del`). */
  readonly root: readonly IpCommand[]
  /** Namespaces that need the router sysctls. */
  readonly sysctl: readonly string[]
  /** Leftover taps to delete in the host's namespace first (they may well not exist). */
  readonly hostCleanup: readonly IpCommand[]
  /** Run in the host's namespace (legs' veth pairs). */
  readonly host: readonly IpCommand[]
  /** Per router namespace, in order. */
  readonly inside: ReadonlyMap<string, readonly IpCommand[]>
  /** Per router namespace, an nft script (or 'delete' to drop the table). */
  readonly nat: ReadonlyMap<string, string>
  readonly changes: number
}

/** Router namespaces with our prefix, by name. */
export function listRouterNamespaces(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}qrouter-`))
  } catch {
    return []
  }
}

/** `ip -j addr show`: every link with its MAC, MTU and flags, and its addresses. */
interface JsonAddr {
  ifname?: string
  address?: string
  mtu?: number
  flags?: string[]
  addr_info?: { local?: string; prefixlen?: number; scope?: string }[]
}
interface JsonRoute {
  dst?: string
  gateway?: string
}

/** Reads one router namespace. */
export async function readRouter(namespace: string): Promise<ActualRouter> {
  const options = { netns: namespace }
  const [links, routes, forwarding, nat] = await Promise.all([
    ipJson<JsonAddr[]>(['addr', 'show'], options),
    ipJson<JsonRoute[]>(['-4', 'route', 'show'], options),
    runIn(namespace, 'cat', ['/proc/sys/net/ipv4/ip_forward']),
    readNat(namespace),
  ])
  const addresses = new Map<string, string[]>()
  for (const a of links) {
    const list = (a.addr_info ?? [])
      .filter((i) => i.scope === 'global' && i.local)
      .map((i) => `${i.local}/${i.prefixlen}`)
    if (a.ifname) addresses.set(a.ifname, list)
  }
  return {
    namespace,
    forwarding: forwarding.trim() === '1',
    links: new Map(
      links
        .filter((l) => l.ifname)
        .map((l) => [
          l.ifname!,
          {
            name: l.ifname!,
            mac: (l.address ?? '').toLowerCase(),
            mtu: l.mtu ?? 0,
            up: (l.flags ?? []).includes('UP'),
          },
        ]),
    ),
    addresses,
    routes: routes
      .filter((r) => r.gateway && r.dst)
      .map((r) => ({ destination: r.dst!, via: r.gateway! })),
    ...(nat ? { nat } : {}),
  }
}

async function readNat(namespace: string): Promise<ActualRouter['nat']> {
  let text: string
  try {
    text = await runIn(namespace, 'nft', ['-j', 'list', 'table', 'ip', NAT_TABLE])
  } catch {
    return undefined
  }
  const items = (JSON.parse(text) as { nftables?: { rule?: { comment?: string } }[] }).nftables
  let digest = ''
  let rules = 0
  for (const item of items ?? []) {
    if (!item.rule) continue
    rules++
    const comment = item.rule.comment ?? ''
    if (comment.startsWith(DIGEST_PREFIX)) digest = comment.slice(DIGEST_PREFIX.length)
  }
  return { digest, rules }
}

/** Reads every router namespace with our prefix. */
export async function readRouters(prefix: string): Promise<ActualRouter[]> {
  return Promise.all(listRouterNamespaces(prefix).map(readRouter))
}

/** The NAT table a router needs (undefined: none), with its digest and rule count. */
export function natTable(
  router: DesiredRouter,
): { script: string; digest: string; rules: number } | undefined {
  if (!router.snat && router.floatingIps.length === 0) return undefined
  const device = router.snat?.device ?? router.legs.find((l) => l.kind === 'gateway')?.device
  if (!device) return undefined
  const pre: string[] = []
  const post: string[] = []
  for (const f of router.floatingIps) {
    pre.push(`ip daddr ${f.floating} dnat to ${f.fixed}`)
    post.push(`oifname "${device}" ip saddr ${f.fixed} snat to ${f.floating}`)
  }
  if (router.snat) post.push(`oifname "${device}" snat to ${router.snat.address}`)
  const body = [
    `  chain prerouting {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    ...pre.map((r) => `    ${r}`),
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    ...post.map((r) => `    ${r}`),
    `  }`,
  ].join('\n')
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16)
  const script = [
    // Create-then-delete makes the delete safe when the table is absent; all in one transaction.
    `table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    `table ip ${NAT_TABLE} {`,
    body,
    `  chain digest {`,
    `    meta mark 0 comment "${DIGEST_PREFIX}${digest}"`,
    `  }`,
    `}`,
    '',
  ].join('\n')
  return { script, digest, rules: pre.length + post.length + 1 }
}

/** The addresses a leg must hold: its own, and on the gateway leg every floating IP. */
function legAddresses(router: DesiredRouter, leg: RouterLeg): string[] {
  const own = [...leg.addresses]
  if (leg.kind === 'gateway') for (const f of router.floatingIps) own.push(`${f.floating}/32`)
  return own
}

/**
 * The commands that take `actual` to `desired`. Pure: a converged host gives a plan with no
 * change (`changes` 0).
 */
export function planRouters(
  desired: readonly DesiredRouter[],
  actual: readonly ActualRouter[],
): RouterPlan {
  const root: IpCommand[] = []
  const sysctl: string[] = []
  const host: IpCommand[] = []
  const hostCleanup: IpCommand[] = []
  const inside = new Map<string, IpCommand[]>()
  const nat = new Map<string, string>()
  let changes = 0
  const byNamespace = new Map(actual.map((a) => [a.namespace, a]))
  const wanted = new Set(desired.map((r) => r.namespace))

  for (const stale of actual.filter((a) => !wanted.has(a.namespace))) {
    root.push(['netns', 'del', stale.namespace])
    changes++
  }
  for (const router of desired) {
    const have = byNamespace.get(router.namespace)
    const commands: IpCommand[] = []
    if (!have) {
      root.push(['netns', 'add', router.namespace])
      commands.push(['link', 'set', 'lo', 'up'])
    }
    if (!have?.forwarding) sysctl.push(router.namespace)
    const legNames = new Set(router.legs.map((l) => l.device))
    for (const link of have?.links.values() ?? []) {
      if (LEG.test(link.name) && !legNames.has(link.name)) {
        commands.push(['link', 'del', 'dev', link.name])
      }
    }
    for (const leg of router.legs) {
      const link = have?.links.get(leg.device)
      const tap = tapName(leg.portId)
      if (!link) {
        // A leftover tap of an earlier pair would block the name.
        hostCleanup.push(['link', 'del', 'dev', tap])
        host.push([
          ...['link', 'add', tap, 'mtu', String(leg.mtu), 'type', 'veth'],
          ...['peer', 'name', leg.device, 'netns', router.namespace],
          ...['mtu', String(leg.mtu), 'address', leg.mac],
        ])
      } else {
        if (link.mac !== leg.mac)
          commands.push(['link', 'set', 'dev', leg.device, 'address', leg.mac])
        if (link.mtu !== leg.mtu) {
          commands.push(['link', 'set', 'dev', leg.device, 'mtu', String(leg.mtu)])
        }
      }
      if (!link?.up) commands.push(['link', 'set', 'dev', leg.device, 'up'])
      const want = legAddresses(router, leg)
      const present = new Set(link ? (have?.addresses.get(leg.device) ?? []) : [])
      for (const a of present) {
        if (!want.includes(a)) commands.push(['addr', 'del', a, 'dev', leg.device])
      }
      for (const a of want)
        if (!present.has(a)) commands.push(['addr', 'add', a, 'dev', leg.device])
    }
    const routes = new Map((have?.routes ?? []).map((r) => [r.destination, r.via]))
    for (const r of router.routes) {
      if (routes.get(r.destination) !== r.via) {
        commands.push(['route', 'replace', r.destination, 'via', r.via])
      }
      routes.delete(r.destination)
    }
    for (const [destination, via] of routes)
      commands.push(['route', 'del', destination, 'via', via])
    const table = natTable(router)
    if (table && (have?.nat?.digest !== table.digest || have.nat.rules !== table.rules)) {
      nat.set(router.namespace, table.script)
    } else if (!table && have?.nat) {
      nat.set(router.namespace, `delete table ip ${NAT_TABLE}\n`)
    }
    if (commands.length) inside.set(router.namespace, commands)
    changes += commands.length + (nat.has(router.namespace) ? 1 : 0)
  }
  changes += sysctl.length + host.length
  return { root, sysctl, hostCleanup, host, inside, nat, changes }
}

/**
 * Runs a plan: namespaces, sysctls, the legs' veth pairs (in the host's namespace), then each
 * router's links, addresses and routes, then NAT. Every step runs; failures are collected.
 */
export async function applyRouterPlan(
  plan: RouterPlan,
  hostNetns: string | undefined,
): Promise<void> {
  const errors: unknown[] = []
  const collect = (e: unknown) => errors.push(e)
  if (plan.root.length) await ipBatch(plan.root, { force: true }).catch(collect)
  await Promise.all(
    plan.sysctl.map((ns) => runIn(ns, 'sysctl', ['-q', '-w', ...ROUTER_SYSCTLS]).catch(collect)),
  )
  if (plan.hostCleanup.length) {
    // Most of these taps do not exist: that is the expected case, not an error.
    await ipBatch(plan.hostCleanup, { netns: hostNetns, force: true }).catch(() => {})
  }
  if (plan.host.length) await ipBatch(plan.host, { netns: hostNetns, force: true }).catch(collect)
  await Promise.all(
    [...plan.inside].map(([ns, commands]) =>
      ipBatch(commands, { netns: ns, force: true }).catch(collect),
    ),
  )
  await Promise.all(
    [...plan.nat].map(([ns, script]) =>
      runIn(ns, 'nft', ['-f', '-'], { input: script }).catch(collect),
    ),
  )
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new AggregateError(errors, errors.map(String).join('; '))
}
