/**
 * A host's desired routers, from its region's copies: no I/O.
 *
 * The design (ARCHITECTURE.md, "Host agent: routers"): each region realizes its copy of a router
 * in one namespace, `<prefix>qrouter-<id>`, on one host of the region. That host is the one the
 * router's ports are already bound to while it is alive, else the first live host by name, so
 * every agent of the region computes the same answer without talking to the others. The chosen
 * host binds the router's ports to itself through the region (as Neutron's L3 agent does), which
 * makes central push them everywhere as shadow ports, so L2 population reaches the router's MACs
 * from every host and region with no special case.
 *
 * A router's leg on a network this region holds uses the region's own gateway port on it (a
 * network spanning regions: `interface_<region>_<subnet>`, with its own address and MAC), or the
 * router's interface port (a network local to this region). Traffic between two containers of
 * one region is therefore routed in that region; traffic to a network held only by other
 * regions goes, over a network both hold, straight to that region's router (its own gateway
 * port's address is the next hop), and so does the default route when the router's external
 * gateway is in another region. North-south (SNAT to the gateway address, floating IPs as
 * DNAT/SNAT pairs) happens in the region whose copy holds the external network.
 */
import { contains, formatIp, parseCidr, parseIp } from '@tricircle/netaddr'

/** Neutron's names: a router's internal legs are `qr-…`, its gateway leg `qg-…`. */
export const internalDevice = (portId: string): string => `qr-${portId.slice(0, 11)}`
export const gatewayDevice = (portId: string): string => `qg-${portId.slice(0, 11)}`
export const routerNamespace = (prefix: string, routerId: string): string =>
  `${prefix}qrouter-${routerId}`

const ROUTER_GATEWAY = 'network:router_gateway'

export interface RouterLeg {
  /** The port the leg realizes (bound to this host). */
  readonly portId: string
  readonly kind: 'internal' | 'gateway'
  readonly networkId: string
  /** The device in the router's namespace (`qr-…`/`qg-…`); its veth peer on the host is the tap. */
  readonly device: string
  readonly mac: string
  /** `address/prefix`, sorted. */
  readonly addresses: readonly string[]
  readonly mtu: number
}

export interface RouterRoute {
  /** A CIDR, or `default`. */
  readonly destination: string
  readonly via: string
}

export interface FloatingIp {
  readonly floating: string
  readonly fixed: string
}

export interface DesiredRouter {
  readonly id: string
  readonly namespace: string
  /** Sorted by device. */
  readonly legs: readonly RouterLeg[]
  /** Sorted by destination. */
  readonly routes: readonly RouterRoute[]
  /** SNAT of everything leaving the gateway leg to its address, when the gateway is here. */
  readonly snat?: { readonly device: string; readonly address: string }
  readonly floatingIps: readonly FloatingIp[]
}

export interface DesiredL3 {
  /** Routers this host realizes, sorted by id. */
  readonly routers: readonly DesiredRouter[]
  /** Router ports this host must bind to itself first (`binding:host_id`). */
  readonly claims: readonly { readonly portId: string; readonly routerId: string }[]
  readonly problems: readonly string[]
}

/** What the router computation reads of the region. */
export interface L3View {
  readonly region: string
  /** The region's registered hosts: name → alive. */
  readonly hosts: ReadonlyMap<string, boolean>
  /** The region's port copies (raw). */
  readonly ports: readonly Record<string, unknown>[]
  readonly networks: readonly Record<string, unknown>[]
  readonly subnets: readonly Record<string, unknown>[]
  readonly routers: readonly Record<string, unknown>[]
}

export interface L3Identity {
  readonly host: string
  /** Prefix of router namespace names ('' on a real host; the lab host's namespace + '-'). */
  readonly namespacePrefix: string
  /** Tenant MTU; default 1450. */
  readonly mtu?: number
}

interface Interface {
  readonly portId: string
  readonly type: string
  readonly networkId: string
  readonly mac: string
  readonly fixedIps: readonly { subnetId: string; ip: string }[]
  readonly cidrs: readonly string[]
  readonly networkRegions: readonly string[]
  readonly regionGateways: readonly {
    region: string
    subnetId: string
    portId: string
    ip: string
    mac: string
  }[]
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function interfacesOf(router: Record<string, unknown>): Interface[] {
  return list(router.interfaces)
    .filter(isObject)
    .map((i) => ({
      portId: str(i.port_id),
      type: str(i.type),
      networkId: str(i.network_id),
      mac: str(i.mac_address).toLowerCase(),
      fixedIps: list(i.fixed_ips)
        .filter(isObject)
        .map((f) => ({ subnetId: str(f.subnet_id), ip: str(f.ip_address) })),
      cidrs: list(i.cidrs).map(str).filter(Boolean),
      networkRegions: list(i.network_regions).map(str).filter(Boolean),
      regionGateways: list(i.region_gateways)
        .filter(isObject)
        .map((g) => ({
          region: str(g.region),
          subnetId: str(g.subnet_id),
          portId: str(g.port_id),
          ip: str(g.ip_address),
          mac: str(g.mac_address).toLowerCase(),
        })),
    }))
    .filter((i) => i.portId && i.networkId)
}

/** `ip/prefix` of an IPv4 or IPv6 address in `cidr`, or undefined if it is not in it. */
function withPrefix(ip: string, cidr: string): string | undefined {
  try {
    const net = parseCidr(cidr)
    const addr = parseIp(ip)
    if (addr.version !== net.version || !contains(net, addr)) return undefined
    return `${formatIp(addr)}/${net.prefixLength}`
  } catch {
    return undefined
  }
}

/**
 * The host that realizes a router in this region: the live host its ports are bound to, else the
 * first live host by name (undefined when no host of the region is alive).
 */
export function routerHost(
  legPorts: readonly string[],
  boundHost: ReadonlyMap<string, string>,
  hosts: ReadonlyMap<string, boolean>,
): string | undefined {
  for (const portId of [...legPorts].sort(byString)) {
    const host = boundHost.get(portId)
    if (host && hosts.get(host) === true) return host
  }
  return [...hosts]
    .filter(([, alive]) => alive)
    .map(([name]) => name)
    .sort(byString)[0]
}

/** The routers `identity.host` realizes, and the router ports it must claim first. */
export function computeDesiredL3(view: L3View, identity: L3Identity): DesiredL3 {
  const held = new Set(view.networks.map((n) => str(n.id)).filter(Boolean))
  const subnetCidr = new Map<string, string>()
  const subnetGateway = new Map<string, string>()
  const subnetsOfNetwork = new Map<string, string[]>()
  for (const s of view.subnets) {
    const id = str(s.id)
    subnetCidr.set(id, str(s.cidr))
    if (str(s.gateway_ip)) subnetGateway.set(id, str(s.gateway_ip))
    const net = str(s.network_id)
    subnetsOfNetwork.set(net, [...(subnetsOfNetwork.get(net) ?? []), id])
  }
  const boundHost = new Map<string, string>()
  for (const p of view.ports) {
    const host = str(p['binding:host_id'])
    if (host && str(p.device_owner) !== 'compute:shadow') boundHost.set(str(p.id), host)
  }
  const mtu = identity.mtu ?? 1450
  const routers: DesiredRouter[] = []
  const claims: { portId: string; routerId: string }[] = []
  const problems: string[] = []

  for (const router of [...view.routers].sort((a, b) => byString(str(a.id), str(b.id)))) {
    const id = str(router.id)
    if (!id || router.admin_state_up === false) continue
    const interfaces = interfacesOf(router)
    const legs: RouterLeg[] = []
    for (const i of interfaces) {
      if (!held.has(i.networkId)) continue
      const leg = legOf(i, view.region, subnetCidr, mtu)
      if (leg) legs.push(leg)
      else problems.push(`router ${id}: no address of this region for its port ${i.portId}`)
    }
    if (legs.length === 0) continue
    const host = routerHost(
      legs.map((l) => l.portId),
      boundHost,
      view.hosts,
    )
    if (host !== identity.host) continue
    for (const leg of legs) {
      if (boundHost.get(leg.portId) !== identity.host)
        claims.push({ portId: leg.portId, routerId: id })
    }

    const routes = new Map<string, string>()
    const gateway = interfaces.find((i) => i.type === ROUTER_GATEWAY)
    const gatewayLeg = legs.find((l) => l.kind === 'gateway')
    for (const i of interfaces) {
      if (held.has(i.networkId) || i.type === ROUTER_GATEWAY) continue
      const via = transitTo(i.networkRegions, interfaces, held, view.region)
      if (!via) {
        problems.push(`router ${id}: no network shared with the regions of network ${i.networkId}`)
        continue
      }
      for (const cidr of i.cidrs) routes.set(cidr, via)
    }
    if (gateway && gatewayLeg) {
      const next = (subnetsOfNetwork.get(gateway.networkId) ?? [])
        .map((s) => subnetGateway.get(s))
        .find((g) => g !== undefined && !g.includes(':'))
      if (next) routes.set('default', next)
    } else if (gateway) {
      const via = transitTo(gateway.networkRegions, interfaces, held, view.region)
      if (via) routes.set('default', via)
    }
    for (const extra of list(router.routes).filter(isObject)) {
      const destination = str(extra.destination)
      const nexthop = str(extra.nexthop)
      if (destination && nexthop)
        routes.set(destination === '0.0.0.0/0' ? 'default' : destination, nexthop)
    }

    const info = isObject(router.external_gateway_info) ? router.external_gateway_info : undefined
    const gatewayAddress = gatewayLeg?.addresses.find((a) => !a.includes(':'))?.split('/')[0]
    const floatingIps = gatewayLeg
      ? list(router.floatingips)
          .filter(isObject)
          .map((f) => ({ floating: str(f.floating_ip_address), fixed: str(f.fixed_ip_address) }))
          .filter((f) => f.floating && f.fixed)
          .sort((a, b) => byString(a.floating, b.floating))
      : []
    routers.push({
      id,
      namespace: routerNamespace(identity.namespacePrefix, id),
      legs: legs.sort((a, b) => byString(a.device, b.device)),
      routes: [...routes]
        .map(([destination, via]) => ({ destination, via }))
        .sort((a, b) => byString(a.destination, b.destination)),
      ...(gatewayLeg && gatewayAddress && info?.enable_snat !== false
        ? { snat: { device: gatewayLeg.device, address: gatewayAddress } }
        : {}),
      floatingIps,
    })
  }
  return { routers, claims, problems }
}

/** The leg of an interface on a network this region holds, or undefined without an address. */
function legOf(
  i: Interface,
  region: string,
  subnetCidr: ReadonlyMap<string, string>,
  mtu: number,
): RouterLeg | undefined {
  const own = i.regionGateways.filter((g) => g.region === region)
  const gateway = i.type === ROUTER_GATEWAY
  // A region's own gateway port stands in for the interface on a network spanning regions.
  const portId = !gateway && own.length ? own[0]!.portId : i.portId
  const mac = !gateway && own.length ? own[0]!.mac : i.mac
  const ips =
    !gateway && own.length
      ? own.map((g) => ({ subnetId: g.subnetId, ip: g.ip }))
      : i.fixedIps.map((f) => ({ subnetId: f.subnetId, ip: f.ip }))
  const addresses = ips
    .map((f) => withPrefix(f.ip, subnetCidr.get(f.subnetId) ?? ''))
    .filter((a): a is string => a !== undefined)
    .sort(byString)
  if (addresses.length === 0 || !mac) return undefined
  return {
    portId,
    kind: gateway ? 'gateway' : 'internal',
    networkId: i.networkId,
    device: gateway ? gatewayDevice(portId) : internalDevice(portId),
    mac,
    addresses,
    mtu: gateway ? 1500 : mtu,
  }
}

/**
 * The next hop towards regions `targets` (a network this region does not hold): another region's
 * own gateway address on a network both hold, picked deterministically.
 */
function transitTo(
  targets: readonly string[],
  interfaces: readonly Interface[],
  held: ReadonlySet<string>,
  region: string,
): string | undefined {
  const candidates: { key: string; ip: string }[] = []
  for (const i of interfaces) {
    if (!held.has(i.networkId) || i.type === ROUTER_GATEWAY) continue
    for (const g of i.regionGateways) {
      if (g.region === region || !targets.includes(g.region) || g.ip.includes(':')) continue
      candidates.push({ key: `${g.region} ${i.portId} ${g.ip}`, ip: g.ip })
    }
  }
  return candidates.sort((a, b) => byString(a.key, b.key))[0]?.ip
}
