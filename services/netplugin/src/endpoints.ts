/**
 * Endpoints onto the ports IPAM allocated:
 *
 * - **CreateEndpoint** binds the address's port to this host (`binding:host_id`, `device_owner`
 *   `compute:kuryr`, `device_id` the endpoint id unless the port already has one: Zun's
 *   container id stays), reads the subnet's gateway and host routes as the region shows them,
 *   and answers the port's MAC only when Docker sent none (never the address: gotcha 2). A MAC
 *   Docker was given becomes the port's.
 * - **Join** makes the veth in the host's namespace (`tap<port[:11]>`, which the host agent plugs
 *   into the network's bridge, and `t_c<port[:11]>` with the port's MAC, at the network's MTU)
 *   and returns its name, the gateway and static routes, from the state alone.
 * - **Leave** deletes the veth; **DeleteEndpoint** deletes it too (by its derived name, so nothing
 *   leaks if Leave never came) and unbinds the port; ReleaseAddress then frees it.
 */
import { BadRequest, InternalError, NotFound, NotImplemented } from '@tricircle/core'
import { contains } from '@tricircle/netaddr'
import { inContext, type DriverContext } from './context.js'
import type { Options } from './pools.js'
import type { Veth } from './links.js'
import { containerIfName, DEVICE_OWNER, DRIVER_NAME, endpointPortName, tapName } from './names.js'
import { allocationKey, cleanupKey, type EndpointRecord, type PluginState } from './state.js'

export interface CreateEndpointRequest {
  readonly NetworkID: string
  readonly EndpointID: string
  readonly Interface?: {
    readonly Address?: string
    readonly AddressIPv6?: string
    readonly MacAddress?: string
  } | null
  readonly Options?: Options
}
export interface EndpointRequest {
  readonly NetworkID: string
  readonly EndpointID: string
}

/** The veth of an endpoint, named from its port's id. */
export const vethOf = (ep: Pick<EndpointRecord, 'portId' | 'mac' | 'mtu'>): Veth => ({
  host: tapName(ep.portId),
  container: containerIfName(ep.portId),
  mac: ep.mac,
  mtu: ep.mtu,
})

/** The allocation of `address` among the pools of Docker network `networkId`. */
function allocationOf(state: Readonly<PluginState>, networkId: string, address: string) {
  for (const pool of Object.values(state.pools)) {
    if (pool.dockerNetworkId !== networkId || !pool.subnet || !contains(pool.cidr, address))
      continue
    const key = allocationKey(pool.id, address)
    const allocation = state.allocations[key]
    if (allocation) return { key, allocation, subnetId: pool.subnet.id }
  }
  throw new NotFound(`${address} was not allocated by this plugin on network ${networkId}`)
}

export async function createEndpoint(ctx: DriverContext, req: CreateEndpointRequest) {
  const { NetworkID: networkId, EndpointID: endpointId } = req
  const network = ctx.state.current.networks[networkId]
  if (!network) throw new NotFound(`unknown network ${networkId}`)
  const requestedMac = req.Interface?.MacAddress?.toLowerCase() || undefined
  const answer = (mac: string) => ({ Interface: requestedMac ? {} : { MacAddress: mac } })
  const known = ctx.state.current.endpoints[endpointId]
  if (known) return answer(known.mac)
  if (req.Interface?.AddressIPv6) throw new NotImplemented('IPv6 endpoints are not supported yet')
  const address = req.Interface?.Address?.split('/')[0]
  if (!address) {
    throw new BadRequest(`the endpoint has no IPv4 address: use --ipam-driver ${DRIVER_NAME}`)
  }
  const { key, allocation, subnetId } = allocationOf(ctx.state.current, networkId, address)
  const changes = {
    'binding:host_id': ctx.host,
    device_owner: DEVICE_OWNER,
    admin_state_up: true,
    ...(allocation.deviceId === '' ? { device_id: endpointId } : {}),
    ...(allocation.created ? { name: endpointPortName(endpointId) } : {}),
    ...(requestedMac && requestedMac !== allocation.mac ? { mac_address: requestedMac } : {}),
  }
  const [port, subnet] = await Promise.all([
    ctx.neutron.updatePort(allocation.portId, changes),
    ctx.neutron.getSubnet(subnetId),
  ]).catch((error: unknown) => {
    throw inContext(`cannot bind port ${allocation.portId} to host ${ctx.host}`, error)
  })
  await ctx.state.update((draft) => {
    draft.endpoints[endpointId] = {
      id: endpointId,
      networkId,
      portId: port.id,
      mac: port.mac_address,
      mtu: network.mtu,
      gateway: subnet.gateway_ip,
      routes: subnet.host_routes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
      allocation: key,
    }
    const held = draft.allocations[key]
    if (held) held.endpointId = endpointId
    delete draft.cleanup[cleanupKey({ kind: 'delete-port', id: port.id })]
  })
  ctx.log.info({ endpoint: endpointId, port: port.id, address, host: ctx.host }, 'port bound')
  return answer(port.mac_address)
}

function endpointOf(ctx: DriverContext, id: string): EndpointRecord {
  const ep = ctx.state.current.endpoints[id]
  if (!ep) throw new NotFound(`unknown endpoint ${id}`)
  return ep
}

async function kernel<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new InternalError(`${what}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

export async function join(ctx: DriverContext, req: EndpointRequest) {
  const ep = endpointOf(ctx, req.EndpointID)
  const veth = vethOf(ep)
  await kernel(`cannot create the veth ${veth.host}`, () => ctx.links.create(veth))
  return {
    InterfaceName: { SrcName: veth.container, DstPrefix: 'eth' },
    ...(ep.gateway ? { Gateway: ep.gateway } : {}),
    StaticRoutes: ep.routes.map((r) => ({
      Destination: r.destination,
      RouteType: 0,
      NextHop: r.nexthop,
    })),
    DisableGatewayService: true,
  }
}

export async function leave(ctx: DriverContext, req: EndpointRequest) {
  const ep = ctx.state.current.endpoints[req.EndpointID]
  if (ep) {
    const host = tapName(ep.portId)
    await kernel(`cannot delete the veth ${host}`, () => ctx.links.delete(host))
  }
  return {}
}

/**
 * How long an endpoint's port stays bound after DeleteEndpoint: Docker releases the address
 * right after, which deletes or releases the port anyway; the unbind is for when it does not.
 */
export const UNBIND_DELAY_MS = 5_000

export async function deleteEndpoint(ctx: DriverContext, req: EndpointRequest) {
  const ep = ctx.state.current.endpoints[req.EndpointID]
  if (!ep) return {}
  const host = tapName(ep.portId)
  await kernel(`cannot delete the veth ${host}`, () => ctx.links.delete(host))
  const allocation = ctx.state.current.allocations[ep.allocation]
  await ctx.cleanup.add(
    [{ kind: 'unbind-port', id: ep.portId, clearDeviceId: allocation?.deviceId === '' }],
    (draft) => {
      delete draft.endpoints[ep.id]
      const held = draft.allocations[ep.allocation]
      if (held) delete held.endpointId
    },
    { deferMs: UNBIND_DELAY_MS },
  )
  ctx.log.info({ endpoint: ep.id, port: ep.portId }, 'endpoint deleted')
  return {}
}

/**
 * What `docker inspect` may show of an endpoint, from the state: Docker asks twice per run, and
 * the port's status says nothing here (the network service keeps no agent-reported status).
 */
export async function endpointOperInfo(ctx: DriverContext, req: EndpointRequest) {
  const ep = ctx.state.current.endpoints[req.EndpointID]
  if (!ep) return { Value: {} }
  return { Value: { port_id: ep.portId, mac_address: ep.mac, host: ctx.host } }
}
