/**
 * The lab's network: an underlay namespace holding one bridge, and per host a namespace joined
 * to it by a veth pair whose host end carries the tunnel address. Every link is created
 * directly inside a lab namespace (never in the root one, so no name can collide with the
 * machine's) and goes when its namespaces are deleted. Set-up is idempotent: it reads what
 * exists (`ip -j`) and batches only what is missing.
 */
import { readdirSync } from 'node:fs'
import { ipBatch, ipJson, isMissing, type IpCommand } from './exec.js'
import { underlayPort, type LabPlan } from './plan.js'

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
  })
  await ipBatch(commands, { netns: underlay.netns })

  await Promise.all(
    plan.hosts.map((host) =>
      ipBatch(
        [
          ['link', 'set', 'lo', 'up'],
          ['addr', 'replace', host.tunnelCidr, 'dev', host.tunnelDevice],
          ['link', 'set', host.tunnelDevice, 'up'],
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
  const names = [...plan.hosts.map((h) => h.netns), plan.underlay.netns].filter((n) =>
    existing.has(n),
  )
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
