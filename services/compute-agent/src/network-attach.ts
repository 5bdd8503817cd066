import type { AgentContext } from './context.js'
import type { ContainerPort } from './ports.js'

/** The engine network for a port's network, made with the kuryr drivers when missing. */
export async function createNetworkFor(
  ctx: AgentContext,
  { request, port }: ContainerPort,
): Promise<string> {
  // A removal under way (nothing wanted the network a moment ago) ends first; then it is made again.
  await ctx.known.networkRemovals.get(request.network)?.catch(() => undefined)
  const known = ctx.known.engineNetworks.get(request.network)
  if (known) return known
  const v4 = port.fixed_ips.find((ip) => !ip.ip_address.includes(':'))
  if (!v4) throw new Error(`port ${port.id} has no IPv4 address`)
  const [subnet, shared] = await Promise.all([
    ctx.network.subnet(v4.subnet_id),
    ctx.network.networkShared(request.network),
  ])
  const id = await ctx.engine.ensureNetwork({
    networkId: request.network,
    subnetId: subnet.id,
    cidr: subnet.cidr,
    gateway: subnet.gateway_ip ?? '',
    shared,
  })
  ctx.known.engineNetworks.set(request.network, id)
  return id
}
