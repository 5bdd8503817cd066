/**
 * The IPAM driver's addresses: Docker's addresses are Neutron ports.
 *
 * **RequestAddress** for the gateway gives the subnet's gateway as the region shows it (a subnet
 * spanning regions has one per region); before the subnet is known, the address Docker asked
 * for, else the first of the CIDR (Neutron's default). For an endpoint it makes a port on the
 * subnet (with the address asked for, if any), or adopts the port that already has that address
 * if nobody uses it (`device_owner` empty or `compute:kuryr`, unbound or bound here: Zun makes
 * the port first and passes its address). **ReleaseAddress** deletes a port the plugin made and
 * releases one it adopted (unbound, no device owner), through the clean-up tasks, so an
 * unreachable network service leaks nothing.
 */
import { BadRequest, Conflict, NotFound } from '@tricircle/core'
import { contains, defaultGateway, formatIp, parseCidr, parseIp } from '@tricircle/netaddr'
import { inContext, type DriverContext } from './context.js'
import { DEVICE_OWNER, GATEWAY_REQUEST, UNBOUND_PORT_NAME } from './names.js'
import type { Port } from './network-service.js'
import { option, type Options } from './pools.js'
import { allocationKey, cleanupKey, type PoolRecord, type PoolSubnet } from './state.js'

export interface RequestAddressRequest {
  readonly PoolID: string
  readonly Address?: string
  readonly Options?: Options
}

function poolOf(ctx: DriverContext, id: string): PoolRecord {
  const pool = ctx.state.current.pools[id]
  if (!pool) throw new NotFound(`unknown pool ${id}`)
  return pool
}

/** The gateway Docker gets for a pool: the region's gateway of its subnet, once known. */
async function gatewayAddress(
  ctx: DriverContext,
  pool: PoolRecord,
  requested: string | undefined,
): Promise<string> {
  const prefix = parseCidr(pool.cidr).prefixLength
  let gateway: string
  if (pool.subnet) {
    const own = pool.subnet.gateway
    if (requested && requested !== own) {
      throw new Conflict(
        `gateway ${requested} is not the gateway of subnet ${pool.subnet.id} in region ${ctx.region} (${own ?? 'it has none'})`,
      )
    }
    // A subnet without a gateway: Kuryr's answer, an address Docker accepts and routes nothing to.
    if (own === null) return '0.0.0.0/0'
    gateway = own
  } else {
    gateway = requested
      ? checkedAddress(pool.cidr, requested)
      : formatIp(defaultGateway(pool.cidr)!)
  }
  await ctx.state.update((draft) => {
    const p = draft.pools[pool.id]
    if (p) p.gateway = gateway
  })
  return `${gateway}/${prefix}`
}

/** `address` in canonical form, if it is inside `cidr`. */
export function checkedAddress(cidr: string, address: string): string {
  let ip
  try {
    ip = parseIp(address)
  } catch {
    throw new BadRequest(`${address} is not an IP address`)
  }
  if (!contains(cidr, ip)) throw new BadRequest(`${address} is outside the pool's subnet ${cidr}`)
  return formatIp(ip)
}

/** Whether the plugin may take over `port` for a container on `host`. */
export function adoptable(port: Port, host: string): boolean {
  const bound = port['binding:host_id'] ?? ''
  return (
    (port.device_owner === '' || port.device_owner === DEVICE_OWNER) &&
    (bound === '' || bound === host) &&
    // Another plugin's address between its RequestAddress and CreateEndpoint.
    port.name !== UNBOUND_PORT_NAME
  )
}

/** The port already holding `address` on the subnet, if one may be adopted; taken: a 409. */
async function existingPort(
  ctx: DriverContext,
  subnet: PoolSubnet,
  address: string,
): Promise<Port | undefined> {
  let ports
  try {
    ports = await ctx.neutron.listPorts({
      network_id: subnet.networkId,
      fixed_ips: `ip_address=${address}`,
    })
  } catch (error) {
    throw inContext(`looking up the port of ${address}`, error)
  }
  const port = ports.find((p) =>
    p.fixed_ips.some((f) => f.subnet_id === subnet.id && f.ip_address === address),
  )
  if (!port) return undefined
  const held = Object.values(ctx.state.current.allocations).some((a) => a.portId === port.id)
  if (held || !adoptable(port, ctx.host)) {
    const owner = port.device_owner || 'no device owner'
    const host = port['binding:host_id'] ? `, bound to ${port['binding:host_id']}` : ''
    throw new Conflict(`${address} is taken by port ${port.id} (${owner}${host})`)
  }
  return port
}

export async function requestAddress(ctx: DriverContext, req: RequestAddressRequest) {
  const pool = poolOf(ctx, req.PoolID)
  const requested = req.Address || undefined
  if (option(req.Options, 'RequestAddressType') === GATEWAY_REQUEST) {
    return { Address: await gatewayAddress(ctx, pool, requested), Data: {} }
  }
  const subnet = pool.subnet
  const network = pool.dockerNetworkId
    ? ctx.state.current.networks[pool.dockerNetworkId]
    : undefined
  if (!subnet || !network) throw new Conflict(`pool ${pool.cidr} is not in use by a network yet`)
  const wanted = requested && checkedAddress(pool.cidr, requested)
  const adopted = wanted ? await existingPort(ctx, subnet, wanted) : undefined
  let port: Port
  try {
    port =
      adopted ??
      (await ctx.neutron.createPort({
        network_id: subnet.networkId,
        project_id: network.projectId,
        name: UNBOUND_PORT_NAME,
        admin_state_up: true,
        fixed_ips: [{ subnet_id: subnet.id, ...(wanted ? { ip_address: wanted } : {}) }],
      }))
  } catch (error) {
    throw inContext(`cannot allocate ${wanted ?? 'an address'} in ${pool.cidr}`, error)
  }
  const address = port.fixed_ips.find((f) => f.subnet_id === subnet.id)?.ip_address ?? ''
  const key = allocationKey(pool.id, address)
  try {
    await ctx.state.update((draft) => {
      if (draft.allocations[key]) throw new Conflict(`${address} is already allocated`)
      draft.allocations[key] = {
        poolId: pool.id,
        address,
        portId: port.id,
        mac: port.mac_address,
        created: !adopted,
        deviceId: port.device_id,
      }
      // A release still owed for an adopted port is void: the port is in use again.
      delete draft.cleanup[cleanupKey({ kind: 'delete-port', id: port.id })]
    })
  } catch (error) {
    if (!adopted) await ctx.cleanup.add([{ kind: 'delete-port', id: port.id }])
    throw error
  }
  ctx.log.info({ pool: pool.id, address, port: port.id, adopted: !!adopted }, 'address allocated')
  return { Address: `${address}/${parseCidr(pool.cidr).prefixLength}`, Data: {} }
}

export async function releaseAddress(
  ctx: DriverContext,
  req: { readonly PoolID: string; readonly Address: string },
) {
  let address = req.Address
  try {
    address = formatIp(parseIp(req.Address))
  } catch {
    // not an address: nothing of ours
  }
  const key = allocationKey(req.PoolID, address)
  const allocation = ctx.state.current.allocations[key]
  // The gateway, an unknown pool or an address released before: nothing to do.
  if (!allocation) return {}
  const clearDeviceId = allocation.deviceId === ''
  await ctx.cleanup.add(
    [
      allocation.created
        ? { kind: 'delete-port', id: allocation.portId }
        : { kind: 'release-port', id: allocation.portId, clearDeviceId },
    ],
    (draft) => {
      delete draft.allocations[key]
    },
  )
  ctx.log.info({ pool: req.PoolID, address, port: allocation.portId }, 'address released')
  return {}
}
