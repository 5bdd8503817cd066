/**
 * The lab's network: an underlay namespace holding one bridge, and per host a namespace joined
 * to it by a veth pair whose host end carries the tunnel address. Every link is created
 * directly inside a lab namespace (never in the root one, so no name can collide with the
 * machine's) and goes when its namespaces are deleted. Set-up is idempotent: it reads what
 * exists (`ip -j`) and batches only what is missing.
 */
import { readdirSync } from 'node:fs'
import { ipBatch, ipJson, isMissing, type IpCommand } from './exec.js'
import { externalPort, underlayPort, type LabPlan } from './plan.js'

interface JsonLink {
  readonly ifname: string
}

/** Names of the network namespaces under /run/netns. */
export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns')
  } catch {
    return []
  }
}

async function linkNames(netns: string): Promise<Set<string>> {
  const links = await ipJson<JsonLink[]>(['link', 'show'], { netns })
  return new Set(links.map((l) => l.ifname))
}

/**
 * Makes sure each of `names` is a usable namespace and resolves with the links in each: missing
 * ones are added, and a name whose file a crash left behind (no longer a namespace: `ip -n`
 * cannot enter it) is deleted and added again.
 */
export async function ensureNetns(names: readonly string[]): Promise<Set<string>[]> {
  const existing = new Set(listNetns())
  await ipBatch(names.filter((n) => !existing.has(n)).map((n) => ['netns', 'add', n]))
  const links = await Promise.all(names.map((n) => linkNames(n).catch(() => undefined)))
  const stale = names.filter((_, i) => links[i] === undefined)
  if (stale.length === 0) return links as Set<string>[]
  await ipBatch(
    stale.map((n) => ['netns', 'delete', n]),
    { force: true },
  ).catch(() => {})
  await ipBatch(stale.map((n) => ['netns', 'add', n]))
  return Promise.all(names.map(async (n, i) => links[i] ?? linkNames(n)))
}

/** Builds (or completes) the underlay and every host's link and tunnel address. */
export async function setUpNetwork(plan: LabPlan): Promise<void> {
  const { underlay } = plan
  const [underlayLinks = new Set<string>(), ...hostLinks] = await ensureNetns([
    underlay.netns,
    ...plan.hosts.map((h) => h.netns),
  ])
  const commands: IpCommand[] = [['link', 'set', 'lo', 'up']]
  if (!underlayLinks.has(underlay.bridge)) {
    commands.push(['link', 'add', underlay.bridge, 'mtu', String(underlay.mtu), 'type', 'bridge'])
  }
  commands.push(['link', 'set', underlay.bridge, 'up'])
  for (const external of plan.externals ?? []) {
    if (!underlayLinks.has(external.bridge)) {
      commands.push(['link', 'add', external.bridge, 'mtu', '1500', 'type', 'bridge'])
      commands.push(['link', 'set', 'dev', external.bridge, 'addrgenmode', 'none'])
    }
    commands.push(['link', 'set', external.bridge, 'up'])
  }
  plan.hosts.forEach((host, i) => {
    const port = underlayPort(i)
    if (!hostLinks[i]?.has(host.tunnelDevice)) {
      // A veth pair dies with either namespace, so a port without its host end is a leftover.
      if (underlayLinks.has(port)) commands.push(['link', 'del', port])
      commands.push([
        'link',
        'add',
        port,
        'mtu',
        String(host.mtu),
        'type',
        'veth',
        'peer',
        'name',
        host.tunnelDevice,
        'mtu',
        String(host.mtu),
        'netns',
        host.netns,
      ])
    }
    commands.push(['link', 'set', port, 'master', underlay.bridge, 'up'])
    const external = plan.externals?.find((e) => e.region === host.region)
    if (external && host.externalDevice) {
      const leg = externalPort(i)
      if (!hostLinks[i]?.has(host.externalDevice)) {
        if (underlayLinks.has(leg)) commands.push(['link', 'del', leg])
        commands.push([
          ...['link', 'add', leg, 'mtu', '1500', 'type', 'veth'],
          ...['peer', 'name', host.externalDevice, 'mtu', '1500', 'netns', host.netns],
        ])
      }
      commands.push(['link', 'set', leg, 'master', external.bridge, 'up'])
    }
  })
  await ipBatch(commands, { netns: underlay.netns })

  await Promise.all(
    plan.hosts.map((host) =>
      ipBatch(
        [
          ['link', 'set', 'lo', 'up'],
          ['addr', 'replace', host.tunnelCidr, 'dev', host.tunnelDevice],
          ['link', 'set', host.tunnelDevice, 'up'],
          ...(host.externalDevice ? [['link', 'set', host.externalDevice, 'up']] : []),
        ],
        { netns: host.netns },
      ),
    ),
  )
}

/**
 * Deletes the hosts' namespaces, then the underlay's (their links go with them). Namespaces that
 * are already gone are fine. Processes must have left them first, or the kernel keeps them
 * alive (invisibly) until those processes exit.
 */
export async function tearDownNetwork(plan: LabPlan): Promise<void> {
  const existing = new Set(listNetns())
  // Agents and tests make namespaces of their own under the lab's prefix (a host's routers, an
  // "outside" namespace): they are the lab's too.
  const prefixed = [...existing].filter((n) => n.startsWith(`${plan.name}-`))
  const names = [
    ...new Set([...prefixed, ...plan.hosts.map((h) => h.netns), plan.underlay.netns]),
  ].filter((n) => existing.has(n))
  if (names.length === 0) return
  try {
    await ipBatch(
      names.map((name) => ['netns', 'delete', name]),
      { force: true },
    )
  } catch (error) {
    // With -force every line ran; only a namespace that vanished meanwhile is fine.
    const left = new Set(listNetns())
    if (names.some((n) => left.has(n)) || !isMissing(error)) throw error
  }
}

/**
 * A namespace standing for the world outside a region: `<lab>-outside-<n>` with `eth0` on the
 * region's external segment holding `cidr` (e.g. `203.0.113.100/24`). Idempotent; it goes with
 * the lab.
 */
export async function addOutside(plan: LabPlan, region: string, cidr: string): Promise<string> {
  const index = plan.externals.findIndex((e) => e.region === region)
  if (index < 0) throw new Error(`the lab has no region ${region}`)
  const netns = `${plan.name}-outside-${index + 1}`
  const [links] = await ensureNetns([netns])
  const leg = `out-${index + 1}`
  if (!links?.has('eth0')) {
    await ipBatch(
      [
        ['link', 'del', leg],
        [...['link', 'add', leg, 'type', 'veth'], ...['peer', 'name', 'eth0', 'netns', netns]],
      ],
      { netns: plan.underlay.netns, force: true },
    ).catch(() => {})
  }
  await ipBatch([['link', 'set', leg, 'master', plan.externals[index]!.bridge, 'up']], {
    netns: plan.underlay.netns,
  })
  await ipBatch(
    [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'replace', cidr, 'dev', 'eth0'],
      ['link', 'set', 'eth0', 'up'],
    ],
    { netns },
  )
  return netns
}
