/**
 * The region's ports indexed for L2 (`desired.ts` says what a host needs): by network (ports,
 * hosts with ports, tunnel addresses with reference counts), so a port change costs O(1) plus,
 * for a host that gets its first port on a network, O(ports on that network); `desiredFor(host)`
 * costs O(ports on the host's networks). `computeDesiredL2` is the same from scratch.
 */
import {
  TENANT_MTU,
  bridgeName,
  vxlanName,
  type DesiredL2,
  type DesiredNetwork,
  type FdbEntry,
  type HostDelta,
  type HostIdentity,
  type L2Change,
  type L2Network,
  type L2Port,
  type Placement,
  type Problem,
  type RegionView,
} from './desired.js'

interface NetworkState {
  /** Every port on the network (bound or not) → its placement (undefined: unbound). */
  readonly ports: Map<string, Placement | undefined>
  /** Hosts of this region with bound ports here → how many. */
  readonly hosts: Map<string, number>
  /** Tunnel addresses of bound ports here → how many. */
  readonly tunnels: Map<string, number>
}

const increment = (map: Map<string, number>, key: string): boolean => {
  const n = map.get(key) ?? 0
  map.set(key, n + 1)
  return n === 0
}
const decrement = (map: Map<string, number>, key: string): boolean => {
  const n = map.get(key) ?? 0
  if (n <= 1) {
    map.delete(key)
    return n === 1
  }
  map.set(key, n - 1)
  return false
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The region's ports, hosts and networks, indexed for L2: by network (its ports, the hosts of
 * this region with ports on it, its tunnel addresses with counts) and by host. Incremental:
 * every change returns what it did, and `deltaFor` turns that into one host's forwarding change.
 */
export class L2Index {
  readonly #ports = new Map<string, L2Port>()
  readonly #networks = new Map<string, NetworkState>()
  readonly #segments = new Map<string, L2Network>()
  readonly #hostTunnels = new Map<string, string>()
  /** Hosts of this region → their bound (non-shadow) ports. */
  readonly #portsByHost = new Map<string, Set<string>>()
  /** Hosts of this region → networks they have ports on → how many. */
  readonly #networksByHost = new Map<string, Map<string, number>>()

  /** An index of `view` (the same as applying each port, host and network). */
  static from(view: RegionView): L2Index {
    const index = new L2Index()
    for (const [host, ip] of view.hosts) index.#hostTunnels.set(host, ip)
    for (const network of view.networks) index.#segments.set(network.id, network)
    for (const port of view.ports) index.applyPortChange(port)
    return index
  }

  get portCount(): number {
    return this.#ports.size
  }

  port(id: string): L2Port | undefined {
    return this.#ports.get(id)
  }

  /** Networks the host has bound ports on, unsorted. */
  networksOf(host: string): string[] {
    return [...(this.#networksByHost.get(host)?.keys() ?? [])]
  }

  /** Hosts of this region with bound ports on the network, unsorted. */
  hostsOn(networkId: string): string[] {
    return [...(this.#networks.get(networkId)?.hosts.keys() ?? [])]
  }

  /** Every network with a port, unsorted. */
  networkIds(): string[] {
    return [...this.#networks.keys()]
  }

  /** Sets (or, with undefined, removes) a network's segment. Devices follow on the next sync. */
  setNetwork(id: string, network: L2Network | undefined): void {
    if (network) this.#segments.set(id, network)
    else this.#segments.delete(id)
  }

  /**
   * Sets (or removes) a host of this region's tunnel address; its ports' entries move with it.
   * Costs O(ports bound to the host).
   */
  setHost(host: string, tunnelIp: string | undefined): L2Change[] {
    if (tunnelIp === undefined) this.#hostTunnels.delete(host)
    else this.#hostTunnels.set(host, tunnelIp)
    const changes: L2Change[] = []
    for (const id of [...(this.#portsByHost.get(host) ?? [])]) {
      const port = this.#ports.get(id)
      if (port) changes.push(...this.applyPortChange(port))
    }
    return changes
  }

  /**
   * A port created, updated (bound, unbound, moved) or, given `{ id, deleted: true }`, removed.
   * Returns what changed per network (none for a change L2 does not see, two if a port changed
   * networks, which Neutron does not allow).
   */
  applyPortChange(change: L2Port | { readonly id: string; readonly deleted: true }): L2Change[] {
    const old = this.#ports.get(change.id)
    const next = 'deleted' in change ? undefined : change
    if (old === undefined && next === undefined) return []
    if (next) this.#ports.set(next.id, next)
    else this.#ports.delete(change.id)
    if (old && next && old.networkId === next.networkId) {
      const before = this.#networks.get(old.networkId)?.ports.get(old.id)
      const after = this.#placementOf(next)
      if (samePlacement(before, after)) {
        this.#networks.get(next.networkId)?.ports.set(next.id, after)
        return []
      }
      return [this.#replace(next.networkId, next.id, before, after)]
    }
    const out: L2Change[] = []
    if (old) out.push(this.#replace(old.networkId, old.id, this.#placementIn(old), undefined, true))
    if (next) out.push(this.#replace(next.networkId, next.id, undefined, this.#placementOf(next)))
    return out
  }

  #placementIn(port: L2Port): Placement | undefined {
    return this.#networks.get(port.networkId)?.ports.get(port.id)
  }

  #placementOf(port: L2Port): Placement | undefined {
    if (port.host === '') return undefined
    const localHost = port.shadow ? undefined : port.host
    const dst = port.shadow ? port.tunnelIp : (this.#hostTunnels.get(port.host) ?? port.tunnelIp)
    return { portId: port.id, mac: port.mac, localHost, host: port.host, dst }
  }

  /** Replaces one port's placement on a network, keeping every count right. */
  #replace(
    networkId: string,
    portId: string,
    before: Placement | undefined,
    after: Placement | undefined,
    removed = false,
  ): L2Change {
    let state = this.#networks.get(networkId)
    if (!state) {
      state = { ports: new Map(), hosts: new Map(), tunnels: new Map() }
      this.#networks.set(networkId, state)
    }
    const tunnelsAdded: string[] = []
    const tunnelsRemoved: string[] = []
    const hostsJoined: string[] = []
    const hostsLeft: string[] = []
    if (before) {
      if (before.dst !== undefined && decrement(state.tunnels, before.dst)) {
        tunnelsRemoved.push(before.dst)
      }
      if (before.localHost !== undefined) {
        this.#portsByHost.get(before.localHost)?.delete(portId)
        if (this.#portsByHost.get(before.localHost)?.size === 0) {
          this.#portsByHost.delete(before.localHost)
        }
        const nets = this.#networksByHost.get(before.localHost)
        if (nets) decrement(nets, networkId)
        if (nets?.size === 0) this.#networksByHost.delete(before.localHost)
        if (decrement(state.hosts, before.localHost)) hostsLeft.push(before.localHost)
      }
    }
    if (after) {
      if (after.dst !== undefined && increment(state.tunnels, after.dst)) {
        // A tunnel that went and came back within one change did not change.
        const i = tunnelsRemoved.indexOf(after.dst)
        if (i >= 0) tunnelsRemoved.splice(i, 1)
        else tunnelsAdded.push(after.dst)
      }
      if (after.localHost !== undefined) {
        let ids = this.#portsByHost.get(after.localHost)
        if (!ids) this.#portsByHost.set(after.localHost, (ids = new Set<string>()))
        ids.add(portId)
        let nets = this.#networksByHost.get(after.localHost)
        if (!nets) this.#networksByHost.set(after.localHost, (nets = new Map<string, number>()))
        increment(nets, networkId)
        if (increment(state.hosts, after.localHost)) {
          const i = hostsLeft.indexOf(after.localHost)
          if (i >= 0) hostsLeft.splice(i, 1)
          else hostsJoined.push(after.localHost)
        }
      }
    }
    if (removed) state.ports.delete(portId)
    else state.ports.set(portId, after)
    if (state.ports.size === 0) this.#networks.delete(networkId)
    return {
      networkId,
      portId,
      before,
      after,
      tunnelsAdded,
      tunnelsRemoved,
      hostsJoined,
      hostsLeft,
    }
  }

  /** The host's whole desired state. O(ports on the host's networks). */
  desiredFor(identity: HostIdentity): DesiredL2 {
    const problems: Problem[] = []
    const networks: DesiredNetwork[] = []
    const retained: string[] = []
    const byVni = new Map<number, string>()
    for (const networkId of this.networksOf(identity.host).sort(byString)) {
      const network = this.#networkFor(identity, networkId, problems)
      if (!network) {
        retained.push(networkId)
        continue
      }
      const other = network.physical ? undefined : byVni.get(network.vni)
      if (other !== undefined) {
        problems.push({
          kind: 'duplicate-vni',
          networkId,
          message: `network ${networkId} has VNI ${network.vni}, as network ${other} has; only ${other} is realized`,
        })
        retained.push(networkId)
        continue
      }
      byVni.set(network.vni, networkId)
      networks.push(network)
    }
    return { networks, retained, problems }
  }

  /** One network's state for the host (undefined, with the problem, if it cannot be realized). */
  #networkFor(
    identity: HostIdentity,
    networkId: string,
    problems: Problem[],
  ): DesiredNetwork | undefined {
    const segment = this.#segments.get(networkId)
    const state = this.#networks.get(networkId)
    if (segment?.type === 'flat' && state)
      return this.#flatNetwork(identity, segment, state, problems)
    const vni = this.#vniOf(networkId, segment, problems)
    if (vni === undefined || !state) return undefined
    const unicast = new Map<string, string>()
    const localPorts: string[] = []
    for (const placement of state.ports.values()) {
      if (!placement) continue
      if (placement.localHost === identity.host) {
        localPorts.push(placement.portId)
        continue
      }
      const entry = this.#entryFor(identity, networkId, placement, problems)
      if (!entry) continue
      const existing = unicast.get(entry.mac)
      if (existing === undefined) unicast.set(entry.mac, entry.dst)
      else if (existing !== entry.dst) {
        problems.push({
          kind: 'duplicate-mac',
          networkId,
          portId: placement.portId,
          message: `MAC ${entry.mac} of port ${placement.portId} is on network ${networkId} twice; its first entry is kept`,
        })
      }
    }
    return {
      networkId,
      vni,
      bridge: bridgeName(networkId),
      vxlan: vxlanName(vni),
      mtu: identity.mtu ?? TENANT_MTU,
      unicast: [...unicast]
        .map(([mac, dst]) => ({ mac, dst }))
        .sort((a, b) => byString(a.mac, b.mac)),
      // Every tunnel address with a bound port here but this host's own: the same set the
      // deltas keep (a remote port's address, or a stale registration of this host's).
      flood: [...state.tunnels.keys()].filter((ip) => ip !== identity.tunnelIp).sort(byString),
      localPorts: localPorts.sort(byString),
    }
  }

  /**
   * A flat network (an external segment) is the host's interface on its physical network,
   * bridged: no VXLAN, no forwarding entries (the segment learns as any LAN does).
   */
  #flatNetwork(
    identity: HostIdentity,
    segment: L2Network,
    state: NetworkState,
    problems: Problem[],
  ): DesiredNetwork | undefined {
    const physnet = segment.physicalNetwork ?? ''
    const physical = identity.physicalInterfaces?.get(physnet)
    if (!physical) {
      problems.push({
        kind: 'unmapped-physical-network',
        networkId: segment.id,
        message: `flat network ${segment.id} is on physical network ${JSON.stringify(physnet)}, which this host has no interface for`,
      })
      return undefined
    }
    const localPorts = [...state.ports.values()]
      .filter((p) => p?.localHost === identity.host)
      .map((p) => p!.portId)
      .sort(byString)
    return {
      networkId: segment.id,
      vni: 0,
      bridge: bridgeName(segment.id),
      vxlan: '',
      physical,
      mtu: segment.mtu ?? 1500,
      unicast: [],
      flood: [],
      localPorts,
    }
  }

  #vniOf(networkId: string, segment: L2Network | undefined, problems: Problem[]) {
    if (!segment) {
      problems.push({
        kind: 'unknown-network',
        networkId,
        message: `network ${networkId} has ports here but its segment is unknown`,
      })
      return undefined
    }
    if (segment.type !== 'vxlan') {
      problems.push({
        kind: 'unsupported-network-type',
        networkId,
        message: `network ${networkId} is of type ${JSON.stringify(segment.type)}; only vxlan and flat are realized`,
      })
      return undefined
    }
    const vni = segment.segmentationId
    if (vni === null || vni < 1 || vni > 0xffffff) {
      problems.push({
        kind: 'no-segment',
        networkId,
        message: `network ${networkId} has no valid VNI (${String(vni)})`,
      })
      return undefined
    }
    return vni
  }

  /** The forwarding entry of a port bound elsewhere, seen from the host (or the problem). */
  #entryFor(
    identity: HostIdentity,
    networkId: string,
    placement: Placement,
    problems: Problem[] | undefined,
  ): FdbEntry | undefined {
    if (placement.localHost === identity.host) return undefined
    if (placement.dst === undefined) {
      problems?.push({
        kind: 'unknown-host',
        networkId,
        portId: placement.portId,
        host: placement.host,
        message:
          placement.localHost === undefined
            ? `port ${placement.portId} is bound in another region to host ${placement.host}, whose tunnel address is unknown`
            : `port ${placement.portId} is bound to host ${placement.host}, which has not registered a tunnel address`,
      })
      return undefined
    }
    if (placement.dst === identity.tunnelIp) {
      problems?.push({
        kind: 'own-tunnel-ip',
        networkId,
        portId: placement.portId,
        host: placement.host,
        message: `port ${placement.portId} is bound to host ${placement.host}, whose tunnel address ${placement.dst} is this host's`,
      })
      return undefined
    }
    return { mac: placement.mac, dst: placement.dst }
  }

  /**
   * What `change` means for one host: O(1), or O(ports on the network) when the host joins the
   * network. `change` must be the latest one `applyPortChange` or `setHost` returned: ask every
   * host before applying the next change (a join reads the network as the index has it now).
   */
  deltaFor(identity: HostIdentity, change: L2Change): HostDelta | undefined {
    const { networkId } = change
    const problems: Problem[] = []
    if (change.hostsJoined.includes(identity.host)) {
      const join = this.#networkFor(identity, networkId, problems)
      return { ...emptyDelta(networkId, problems), ...(join ? { join } : {}) }
    }
    if (change.hostsLeft.includes(identity.host)) {
      return { ...emptyDelta(networkId, problems), leave: true }
    }
    if (!this.#networksByHost.get(identity.host)?.has(networkId)) return undefined
    const before = change.before && this.#entryFor(identity, networkId, change.before, undefined)
    const after = change.after && this.#entryFor(identity, networkId, change.after, problems)
    const same = before && after && before.mac === after.mac && before.dst === after.dst
    const own = identity.tunnelIp
    const delta: HostDelta = {
      networkId,
      unicastAdd: after && !same ? [after] : [],
      unicastRemove: before && !same ? [before] : [],
      floodAdd: change.tunnelsAdded.filter((ip) => ip !== own),
      floodRemove: change.tunnelsRemoved.filter((ip) => ip !== own),
      problems,
    }
    const empty =
      delta.unicastAdd.length +
        delta.unicastRemove.length +
        delta.floodAdd.length +
        delta.floodRemove.length +
        problems.length ===
      0
    return empty ? undefined : delta
  }
}

function emptyDelta(networkId: string, problems: Problem[]): HostDelta {
  return {
    networkId,
    unicastAdd: [],
    unicastRemove: [],
    floodAdd: [],
    floodRemove: [],
    problems,
  }
}

function samePlacement(a: Placement | undefined, b: Placement | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.mac === b.mac && a.localHost === b.localHost && a.host === b.host && a.dst === b.dst
}

/** A host's desired L2 state from the region's data, from scratch. */
export function computeDesiredL2(view: RegionView, identity: HostIdentity): DesiredL2 {
  return L2Index.from(view).desiredFor(identity)
}
