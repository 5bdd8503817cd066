/**
 * A host's desired L2 state, computed from what its region's network service lists: no I/O.
 *
 * For every network with at least one port bound to this host the host needs a bridge
 * (`brq` + the network id's first 11 characters, as Neutron's linuxbridge agent and kuryr name
 * it), a VXLAN device (`vxlan-<vni>`) in it, MTU 1450 on tenant interfaces, and forwarding
 * entries as L2 population programs them (no multicast, no learning on the VXLAN device): for
 * every port of the network bound on another host, its MAC → that host's tunnel address, and one
 * all-zeros flood entry per distinct remote tunnel address, so ARP and broadcasts reach every
 * VTEP with ports on the network, and nothing else.
 *
 * Where a remote port's tunnel address comes from:
 * - a port of this region (bound to another host here): the region's registered hosts
 *   (`GET /v2.0/agents`, `configurations.tunneling_ip`), else the `binding:profile.tunnel_ip`
 *   the region recorded when it was bound;
 * - a `compute:shadow` copy of a port bound in another region: its `binding:profile.tunnel_ip`
 *   (the remote host's, filled in by the remote region and pushed by central).
 * A bound port whose address is unknown gets no entry and is reported as a problem.
 *
 * The computation itself is `L2Index` (`l2-index.ts`).
 */

/** MTU of every tenant interface: a 1500-byte underlay minus VXLAN's 50 bytes. */
export const TENANT_MTU = 1450
/** IANA's VXLAN port. */
export const VXLAN_PORT = 4789
/** The destination of a VXLAN flood (head-end replication) entry. */
export const FLOOD_MAC = '00:00:00:00:00:00'
/** The device owner of central's copies of ports bound in another region. */
export const SHADOW_OWNER = 'compute:shadow'

/** The bridge of a network on a host: `brq` + 11 characters of its id (Neutron's name). */
export const bridgeName = (networkId: string): string => `brq${networkId.slice(0, 11)}`
/**
 * The host end of a port's interface: `tap` + 11 characters of the port id (Neutron's name). The
 * network plugin makes it (a container's veth, a router's leg); the agent plugs it into the
 * network's bridge.
 */
export const tapName = (portId: string): string => `tap${portId.slice(0, 11)}`
/** The VXLAN device of a segment on a host. */
export const vxlanName = (vni: number): string => `vxlan-${vni}`

/** What L2 needs of one port the region lists. */
export interface L2Port {
  readonly id: string
  readonly networkId: string
  /** Lower case. */
  readonly mac: string
  /** The host it is bound to (`binding:host_id`), '' if unbound. A shadow's is another region's. */
  readonly host: string
  /** A `compute:shadow` copy of a port bound in another region. */
  readonly shadow: boolean
  /** `binding:profile.tunnel_ip`, if recorded. */
  readonly tunnelIp?: string
}

/** What L2 needs of a network: its segment. */
export interface L2Network {
  readonly id: string
  /** `provider:network_type`: `vxlan` (tenant networks) or `flat` (external segments). */
  readonly type: string
  /** `provider:segmentation_id`: the VNI. */
  readonly segmentationId: number | null
  /** `provider:physical_network` of a flat network. */
  readonly physicalNetwork?: string
  /** The network's MTU, if it says. */
  readonly mtu?: number
}

/** The region's data as the agent reads it. */
export interface RegionView {
  readonly ports: Iterable<L2Port>
  /** The region's registered hosts: name → tunnel address. */
  readonly hosts: ReadonlyMap<string, string>
  readonly networks: Iterable<L2Network>
}

/** The host the state is computed for. */
export interface HostIdentity {
  readonly host: string
  /** Its own tunnel address: entries never point at it. */
  readonly tunnelIp: string
  /** Tenant MTU; default 1450. */
  readonly mtu?: number
  /** Physical network → the host's interface on it (flat networks are bridged onto it). */
  readonly physicalInterfaces?: ReadonlyMap<string, string>
}

export interface FdbEntry {
  readonly mac: string
  /** The remote tunnel address. */
  readonly dst: string
}

export interface DesiredNetwork {
  readonly networkId: string
  /** 0 for a flat network. */
  readonly vni: number
  readonly bridge: string
  /** '' for a flat network. */
  readonly vxlan: string
  /** A flat network's host interface, bridged instead of a VXLAN device. */
  readonly physical?: string
  readonly mtu: number
  /** Remote ports' MACs → their hosts' tunnel addresses, sorted by MAC. */
  readonly unicast: readonly FdbEntry[]
  /** Distinct remote tunnel addresses (one all-zeros entry each), sorted. */
  readonly flood: readonly string[]
  /** Ids of the ports bound to this host, sorted. */
  readonly localPorts: readonly string[]
}

export type ProblemKind =
  | 'unknown-host'
  | 'unknown-network'
  | 'unsupported-network-type'
  | 'unmapped-physical-network'
  | 'router'
  | 'firewall'
  | 'no-segment'
  | 'duplicate-vni'
  | 'duplicate-mac'
  | 'own-tunnel-ip'

/** Something in the region's data this host cannot realize: reported, never thrown. */
export interface Problem {
  readonly kind: ProblemKind
  readonly message: string
  readonly networkId?: string
  readonly portId?: string
  readonly host?: string
}

export interface DesiredL2 {
  /** Sorted by network id. */
  readonly networks: readonly DesiredNetwork[]
  /**
   * Networks with ports on this host that cannot be realized now (see `problems`), sorted:
   * whatever is programmed for them is kept, not removed, until they can be.
   */
  readonly retained: readonly string[]
  readonly problems: readonly Problem[]
}

/** Where a bound port's frames go, as the index resolved it. */
export interface Placement {
  readonly portId: string
  readonly mac: string
  /** The host of this region it is bound to; undefined for a shadow (another region's host). */
  readonly localHost: string | undefined
  /** The shadow's remote host, for messages. */
  readonly host: string
  /** Its tunnel address; undefined when unknown. */
  readonly dst: string | undefined
}

/** What one port change did to one network's index. */
export interface L2Change {
  readonly networkId: string
  readonly portId: string
  /** The port's placement before and after (undefined: absent or unbound). */
  readonly before: Placement | undefined
  readonly after: Placement | undefined
  /** Tunnel addresses that got their first port on the network, or lost their last. */
  readonly tunnelsAdded: readonly string[]
  readonly tunnelsRemoved: readonly string[]
  /** Hosts of this region that got their first port on the network, or lost their last. */
  readonly hostsJoined: readonly string[]
  readonly hostsLeft: readonly string[]
}

/** How one host's forwarding state changes with one `L2Change`. */
export interface HostDelta {
  readonly networkId: string
  /** The host got its first port on the network: the network's whole state (or why not). */
  readonly join?: DesiredNetwork
  /** The host lost its last port on the network: remove its devices. */
  readonly leave?: boolean
  readonly unicastAdd: readonly FdbEntry[]
  readonly unicastRemove: readonly FdbEntry[]
  readonly floodAdd: readonly string[]
  readonly floodRemove: readonly string[]
  readonly problems: readonly Problem[]
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The L2 view of a Neutron port as the region lists it (service view, binding attributes
 * included), or undefined when it has no network or MAC.
 */
export function l2PortOf(port: Record<string, unknown>): L2Port | undefined {
  const { id, network_id: networkId, mac_address: mac } = port
  if (typeof id !== 'string' || typeof networkId !== 'string' || typeof mac !== 'string') {
    return undefined
  }
  const host = typeof port['binding:host_id'] === 'string' ? port['binding:host_id'] : ''
  const profile = isObject(port['binding:profile']) ? port['binding:profile'] : {}
  const tunnelIp =
    typeof profile.tunnel_ip === 'string' && profile.tunnel_ip ? profile.tunnel_ip : undefined
  return {
    id,
    networkId,
    mac: mac.toLowerCase(),
    host,
    shadow: port.device_owner === SHADOW_OWNER,
    ...(tunnelIp ? { tunnelIp } : {}),
  }
}

/** The L2 view of a Neutron network (admin view: provider attributes), or undefined. */
export function l2NetworkOf(network: Record<string, unknown>): L2Network | undefined {
  if (typeof network.id !== 'string') return undefined
  const type = network['provider:network_type']
  const segment = network['provider:segmentation_id']
  const physical = network['provider:physical_network']
  const mtu = network.mtu
  return {
    id: network.id,
    type: typeof type === 'string' ? type : '',
    segmentationId: typeof segment === 'number' && Number.isInteger(segment) ? segment : null,
    ...(typeof physical === 'string' && physical ? { physicalNetwork: physical } : {}),
    ...(typeof mtu === 'number' && Number.isInteger(mtu) && mtu >= 68 ? { mtu } : {}),
  }
}
