/**
 * Step (1) of the seed's create flow and its undo: a port per requested network, made (or, for
 * a port the user gave, claimed) in the region's network service before the container exists,
 * and deleted (or given back) after it is gone. A port made here is recorded in the
 * container's `requested_networks` at once, so a crash between steps leaks nothing: the next
 * attempt reuses it, and a delete finds it.
 */
import type { Addresses, HostContainer, RequestedNetwork } from '@tricircle/container'
import type { AgentContext } from './context.js'
import type { PortView } from './network-service.js'

export interface ContainerPort {
  request: RequestedNetwork
  port: PortView
}

/** The container's ports, made or claimed as needed, in the order of its networks. */
export async function ensurePorts(ctx: AgentContext, c: HostContainer): Promise<ContainerPort[]> {
  const requested = c.requested_networks.map((r) => ({ ...r }))
  const out: ContainerPort[] = []
  // Ports lost by an earlier attempt (a crash before they were recorded) exist only on a retry.
  const retry = ctx.known.createsBegun.has(c.uuid) || c.addresses !== null
  ctx.known.createsBegun.add(c.uuid)
  const leftovers = retry ? await ctx.network.portsOf(c.uuid) : []
  for (const [i, request] of requested.entries()) {
    const first = i === 0
    let port = request.port ? await ctx.network.port(request.port) : undefined
    if (port && request.preserve_on_delete && first) {
      port = await ctx.network.claimPort(port.id, c.uuid, ctx.host, c.security_groups)
    }
    // A port made by an attempt that crashed before recording it.
    port ??= leftovers.find((p) => p.network_id === request.network && !request.preserve_on_delete)
    port ??= await ctx.network.createPort({
      networkId: request.network,
      projectId: c.project_id,
      deviceId: c.uuid,
      ...(first ? { bindHost: ctx.host } : {}),
      ...(request.fixed_ip ? { fixedIp: request.fixed_ip } : {}),
      securityGroups: c.security_groups,
    })
    request.port = port.id
    out.push({ request, port })
  }
  await ctx.report(c.uuid, { requested_networks: requested, addresses: addressesOf(out) })
  return out
}

/** Zun's `addresses`: net id → the port's fixed IPs. */
export function addressesOf(ports: readonly ContainerPort[]): Addresses {
  const out: Addresses = {}
  for (const { request, port } of ports) {
    out[request.network] = port.fixed_ips.map((ip) => ({
      addr: ip.ip_address,
      version: ip.ip_address.includes(':') ? 6 : 4,
      port: port.id,
      subnet_id: ip.subnet_id,
      preserve_on_delete: request.preserve_on_delete,
    }))
  }
  return out
}

/**
 * Deletes the ports made for the container and gives back the ones the user brought; with
 * `sweep`, also any other port still naming the container as its device.
 */
export async function releasePorts(
  ctx: AgentContext,
  uuid: string,
  requested: readonly RequestedNetwork[],
  options: { sweep: boolean } = { sweep: true },
): Promise<void> {
  for (const r of requested) {
    if (!r.port) continue
    if (r.preserve_on_delete) await ctx.network.releasePort(r.port)
    else await ctx.network.deletePort(r.port)
  }
  if (!options.sweep) return
  // Anything else still naming the container as its device was made for it and lost track of.
  const kept = new Set(requested.filter((r) => r.preserve_on_delete).map((r) => r.port))
  for (const port of await ctx.network.portsOf(uuid)) {
    if (!kept.has(port.id)) await ctx.network.deletePort(port.id)
  }
}
