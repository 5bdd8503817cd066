/**
 * Planning the commands that make a host's actual L2 state (`kernel.ts`) the desired one
 * (`desired.ts`). Pure.
 *
 * Ownership: only devices carrying our alias (`ownerAlias`) are ever deleted, and only they
 * have their forwarding entries managed. A device with one of our names that the agent did not
 * make is adopted when it is exactly what the agent would make (a bridge; a VXLAN device with
 * the same VNI, local address, port and device and no learning), and otherwise reported as a
 * conflict and left alone, as is the network's VXLAN device when another device already holds
 * its VNI. A device of ours whose fixed attributes drifted (say the host's tunnel address
 * changed) is replaced; mutable ones (MTU, master, up, STP) are set in place.
 *
 * Stale devices (ours, of networks the host no longer has ports on) are removed: VXLAN devices
 * at once, bridges once nothing but our devices is attached (a container's leftover interface
 * keeps its bridge until it goes, as Neutron's linuxbridge agent keeps non-empty bridges).
 */
import type { BridgeCommand, IpCommand } from '@tricircle/iproute'
import { FLOOD_MAC, tapName, VXLAN_PORT, type DesiredL2, type DesiredNetwork } from './desired.js'
import {
  OWNER_ALIAS_PREFIX,
  ownerAlias,
  type ActualL2,
  type KernelFdbEntry,
  type KernelLink,
} from './kernel.js'

/** Names the agent gives its devices. */
const OUR_NAME = /^(brq|vxlan-)/

/** What the kernel plan needs to know about the host. */
export interface HostTunnel {
  readonly tunnelIp: string
  /** The device holding the tunnel address (VXLAN's `dev`). */
  readonly tunnelDevice: string
}

/** A device the agent will not touch, and why. */
export interface Conflict {
  readonly device: string
  readonly networkId?: string
  readonly message: string
}

export interface L2Plan {
  /** For `ip -batch`, in order. */
  readonly links: readonly IpCommand[]
  /** For `bridge -batch`, after the links, in order. */
  readonly fdb: readonly BridgeCommand[]
  readonly conflicts: readonly Conflict[]
  /** Stale bridges kept because something else is still attached to them. */
  readonly kept: readonly Conflict[]
  readonly counts: {
    readonly devicesCreated: number
    readonly devicesDeleted: number
    readonly devicesFixed: number
    readonly tapsPlugged: number
    readonly fdbAdded: number
    readonly fdbRemoved: number
  }
}

/** True when the plan changes nothing. */
export const isEmptyPlan = (plan: L2Plan): boolean =>
  plan.links.length === 0 && plan.fdb.length === 0

/** The alias's network id, if the device is one of ours. */
function ownerOf(link: KernelLink | undefined): string | undefined {
  if (!link?.alias?.startsWith(OWNER_ALIAS_PREFIX) || !OUR_NAME.test(link.name)) return undefined
  return link.alias.slice(OWNER_ALIAS_PREFIX.length)
}

/** The VXLAN device attributes the agent creates and checks. */
function vxlanMatches(link: KernelLink, net: DesiredNetwork, host: HostTunnel): boolean {
  const v = link.vxlan
  return (
    link.kind === 'vxlan' &&
    v !== undefined &&
    v.vni === net.vni &&
    v.local === host.tunnelIp &&
    v.dev === host.tunnelDevice &&
    (v.port ?? VXLAN_PORT) === VXLAN_PORT &&
    !v.learning
  )
}

/**
 * The commands that take `actual` to `desired` on this host, and what they will not touch.
 * Pure: the same inputs give the same plan; a plan for a converged host is empty.
 */
export function planL2(desired: DesiredL2, actual: ActualL2, host: HostTunnel): L2Plan {
  const links: IpCommand[] = []
  const deletions: IpCommand[] = []
  const fdb: BridgeCommand[] = []
  const conflicts: Conflict[] = []
  const kept: Conflict[] = []
  const counts = {
    devicesCreated: 0,
    devicesDeleted: 0,
    devicesFixed: 0,
    tapsPlugged: 0,
    fdbAdded: 0,
    fdbRemoved: 0,
  }

  // Our devices are stale unless they are a desired network's (by owner and name) or a
  // retained network's. Stale ones go first, so a name or VNI they free can be used below.
  const names = new Map<string, Set<string>>()
  for (const net of desired.networks) {
    names.set(net.networkId, new Set(net.vxlan ? [net.bridge, net.vxlan] : [net.bridge]))
  }
  const retained = new Set(desired.retained)
  const isStale = (link: KernelLink) => {
    const owner = ownerOf(link)
    return owner !== undefined && !retained.has(owner) && !names.get(owner)?.has(link.name)
  }
  const deleted = new Set<string>()
  const stale = [...actual.links.values()].filter(isStale)
  for (const link of stale.filter((l) => l.kind !== 'bridge')) {
    deletions.push(['link', 'del', 'dev', link.name])
    deleted.add(link.name)
    counts.devicesDeleted++
  }
  for (const link of stale.filter((l) => l.kind === 'bridge')) {
    const attached = [...actual.links.values()]
      .filter((l) => l.master === link.name && !deleted.has(l.name))
      .map((l) => l.name)
    if (attached.length > 0) {
      kept.push({
        device: link.name,
        networkId: ownerOf(link)!,
        message: `bridge ${link.name} has no ports of this host any more but still has ${attached.join(', ')} attached; kept until they go`,
      })
      continue
    }
    deletions.push(['link', 'del', 'dev', link.name])
    deleted.add(link.name)
    counts.devicesDeleted++
  }
  const current = (name: string) => (deleted.has(name) ? undefined : actual.links.get(name))

  for (const net of desired.networks) {
    const alias = ownerAlias(net.networkId)
    const bridgeOk = planBridge(net, current(net.bridge), alias, links, conflicts, counts)
    if (!bridgeOk) continue
    planTaps(net, current, links, counts)
    if (net.physical) {
      planPhysical(net, current(net.physical), links, conflicts, counts)
      continue
    }
    const vxlan = planVxlan(
      net,
      current,
      actual,
      deleted,
      host,
      alias,
      links,
      deletions,
      conflicts,
      counts,
    )
    if (vxlan === 'conflict') continue
    // Entries of a device made or remade now start from none.
    const have = vxlan === 'new' ? [] : (actual.fdb.get(net.vxlan) ?? [])
    planFdb(net, have, fdb, counts)
  }
  return { links: [...deletions, ...links], fdb, conflicts, kept, counts }
}

type Counts = { -readonly [K in keyof L2Plan['counts']]: number }

/**
 * A flat network's host interface goes into its bridge (it is the operator's device, never made
 * or removed here); a missing one is reported.
 */
function planPhysical(
  net: DesiredNetwork,
  link: KernelLink | undefined,
  out: IpCommand[],
  conflicts: Conflict[],
  counts: Counts,
): void {
  const name = net.physical!
  if (!link) {
    conflicts.push({
      device: name,
      networkId: net.networkId,
      message: `flat network ${net.networkId} needs interface ${name}, which this host does not have`,
    })
    return
  }
  if (link.master && link.master !== net.bridge) {
    conflicts.push({
      device: name,
      networkId: net.networkId,
      message: `interface ${name} of flat network ${net.networkId} is already in ${link.master}`,
    })
    return
  }
  const fixes = plugFixes(name, link, net.bridge)
  if (fixes.length === 0) return
  out.push(...fixes)
  counts.devicesFixed++
}

/** The commands that put an interface into `bridge`, up (and at `mtu`, if given). */
function plugFixes(name: string, link: KernelLink, bridge: string, mtu?: number): IpCommand[] {
  const fixes: IpCommand[] = []
  if (mtu !== undefined && link.mtu !== mtu)
    fixes.push(['link', 'set', 'dev', name, 'mtu', String(mtu)])
  if (link.master !== bridge) fixes.push(['link', 'set', 'dev', name, 'master', bridge])
  if (!link.up) fixes.push(['link', 'set', 'dev', name, 'up'])
  return fixes
}

/**
 * Plugs the interfaces of the host's ports into the network's bridge, at the tenant MTU and up,
 * as Neutron's linuxbridge agent plugs taps. A port whose tap does not exist yet (the plugin
 * makes it when the container joins) is plugged on a later sync.
 */
function planTaps(
  net: DesiredNetwork,
  current: (name: string) => KernelLink | undefined,
  out: IpCommand[],
  counts: Counts,
): void {
  for (const portId of net.localPorts) {
    const name = tapName(portId)
    const link = current(name)
    if (!link) continue
    const fixes = plugFixes(name, link, net.bridge, net.mtu)
    if (fixes.length === 0) continue
    out.push(...fixes)
    counts.tapsPlugged++
  }
}

/** The network's bridge: made, fixed or adopted; false when a foreign device has its name. */
function planBridge(
  net: DesiredNetwork,
  link: KernelLink | undefined,
  alias: string,
  out: IpCommand[],
  conflicts: Conflict[],
  counts: Counts,
): boolean {
  const name = net.bridge
  if (!link) {
    out.push(
      [
        'link',
        'add',
        name,
        'mtu',
        String(net.mtu),
        'type',
        'bridge',
        'stp_state',
        '0',
        'forward_delay',
        '0',
      ],
      ['link', 'set', 'dev', name, 'alias', alias],
      // No IPv6 link-local address: its chatter would cross the tunnels for nothing.
      ['link', 'set', 'dev', name, 'addrgenmode', 'none'],
      ['link', 'set', 'dev', name, 'up'],
    )
    counts.devicesCreated++
    return true
  }
  const owner = ownerOf(link)
  if (
    link.kind !== 'bridge' ||
    (owner === undefined && link.alias) ||
    (owner && owner !== net.networkId)
  ) {
    conflicts.push({
      device: name,
      networkId: net.networkId,
      message:
        link.kind !== 'bridge'
          ? `${name} exists and is a ${link.kind || 'plain'} device, not a bridge; network ${net.networkId} is not realized here`
          : owner
            ? `bridge ${name} belongs to network ${owner}, whose id starts as ${net.networkId}'s does; network ${net.networkId} is not realized here`
            : `bridge ${name} exists with alias ${JSON.stringify(link.alias)}, so it is someone else's; network ${net.networkId} is not realized here`,
    })
    return false
  }
  const fixes: IpCommand[] = []
  if (owner === undefined) fixes.push(['link', 'set', 'dev', name, 'alias', alias])
  if (link.mtu !== net.mtu) fixes.push(['link', 'set', 'dev', name, 'mtu', String(net.mtu)])
  if (link.bridge?.stpState !== 0 || link.bridge.forwardDelay !== 0) {
    fixes.push([
      'link',
      'set',
      'dev',
      name,
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
    ])
  }
  if (!link.up) fixes.push(['link', 'set', 'dev', name, 'up'])
  if (fixes.length) {
    out.push(...fixes)
    counts.devicesFixed++
  }
  return true
}

/**
 * The network's VXLAN device: made, remade (ours, fixed attributes drifted), fixed or adopted.
 * 'new' when it is made now (it has no entries yet), 'conflict' when it cannot be had.
 */
function planVxlan(
  net: DesiredNetwork,
  current: (name: string) => KernelLink | undefined,
  actual: ActualL2,
  deleted: Set<string>,
  host: HostTunnel,
  alias: string,
  out: IpCommand[],
  deletions: IpCommand[],
  conflicts: Conflict[],
  counts: Counts,
): 'new' | 'existing' | 'conflict' {
  const name = net.vxlan
  const link = current(name)
  const owner = ownerOf(link)
  if (link && owner !== net.networkId) {
    const adoptable = owner === undefined && !link.alias && vxlanMatches(link, net, host)
    if (!adoptable || (link.master !== undefined && link.master !== net.bridge)) {
      conflicts.push({
        device: name,
        networkId: net.networkId,
        message: owner
          ? `${name} belongs to network ${owner}; network ${net.networkId} has the same VNI ${net.vni}`
          : `${name} exists and is not the VXLAN device network ${net.networkId} needs (VNI ${net.vni}, local ${host.tunnelIp}, dev ${host.tunnelDevice}, port ${VXLAN_PORT}, no learning${link.master ? `, in ${net.bridge}` : ''}): ${describe(link)}`,
      })
      return 'conflict'
    }
  }
  if (link && !vxlanMatches(link, net, host)) {
    // Ours, with attributes that cannot change in place: replace it.
    deletions.push(['link', 'del', 'dev', name])
    counts.devicesDeleted++
  } else if (link) {
    const fixes: IpCommand[] = []
    if (owner === undefined) fixes.push(['link', 'set', 'dev', name, 'alias', alias])
    if (link.mtu !== net.mtu) fixes.push(['link', 'set', 'dev', name, 'mtu', String(net.mtu)])
    if (link.master !== net.bridge) fixes.push(['link', 'set', 'dev', name, 'master', net.bridge])
    if (!link.up) fixes.push(['link', 'set', 'dev', name, 'up'])
    if (fixes.length) {
      out.push(...fixes)
      counts.devicesFixed++
    }
    return 'existing'
  }
  // Another device holding the VNI on our port would make the kernel refuse ours.
  const holder = [...actual.links.values()].find(
    (l) =>
      l.name !== name &&
      !deleted.has(l.name) &&
      l.vxlan?.vni === net.vni &&
      (l.vxlan.port ?? VXLAN_PORT) === VXLAN_PORT,
  )
  if (holder) {
    conflicts.push({
      device: name,
      networkId: net.networkId,
      message: `VNI ${net.vni} of network ${net.networkId} is held by device ${holder.name}; ${name} is not made`,
    })
    return 'conflict'
  }
  out.push(
    [
      'link',
      'add',
      name,
      'mtu',
      String(net.mtu),
      'type',
      'vxlan',
      'id',
      String(net.vni),
      'local',
      host.tunnelIp,
      'dstport',
      String(VXLAN_PORT),
      'dev',
      host.tunnelDevice,
      'nolearning',
    ],
    ['link', 'set', 'dev', name, 'alias', alias],
    ['link', 'set', 'dev', name, 'addrgenmode', 'none'],
    ['link', 'set', 'dev', name, 'master', net.bridge],
    ['link', 'set', 'dev', name, 'up'],
  )
  counts.devicesCreated++
  return 'new'
}

function describe(link: KernelLink): string {
  const v = link.vxlan
  const parts = [link.kind || 'plain device']
  if (v) {
    parts.push(`VNI ${v.vni}`, `local ${v.local ?? 'none'}`, `dev ${v.dev ?? 'none'}`)
    parts.push(`port ${v.port ?? VXLAN_PORT}`, v.learning ? 'learning' : 'no learning')
  }
  if (link.master) parts.push(`in ${link.master}`)
  if (link.alias) parts.push(`alias ${JSON.stringify(link.alias)}`)
  return parts.join(', ')
}

/** Entries to remove (anything not desired), then to add (anything missing). */
function planFdb(
  net: DesiredNetwork,
  have: readonly KernelFdbEntry[],
  out: BridgeCommand[],
  counts: Counts,
): void {
  const key = (mac: string, dst: string) => `${mac} ${dst}`
  const want = new Map<string, { mac: string; dst: string; flood: boolean }>()
  for (const e of net.unicast) want.set(key(e.mac, e.dst), { ...e, flood: false })
  for (const dst of net.flood) want.set(key(FLOOD_MAC, dst), { mac: FLOOD_MAC, dst, flood: true })
  const present = new Set<string>()
  for (const e of have) {
    const k = key(e.mac, e.dst)
    if (want.has(k) && !present.has(k)) {
      present.add(k)
      continue
    }
    out.push(['fdb', 'del', e.mac, 'dev', net.vxlan, 'dst', e.dst, 'self'])
    counts.fdbRemoved++
  }
  for (const [k, e] of want) {
    if (present.has(k)) continue
    // A flood entry is one of several remotes of the all-zeros MAC: append. A unicast MAC has
    // one remote: replace (any other was removed above).
    out.push([
      'fdb',
      e.flood ? 'append' : 'replace',
      e.mac,
      'dev',
      net.vxlan,
      'dst',
      e.dst,
      'self',
      'permanent',
    ])
    counts.fdbAdded++
  }
}
