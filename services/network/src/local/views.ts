import { isAdmin, isService, type AuthContext } from '@tricircle/core'
import type { ListSpec } from '../listing.js'
import { networkListSpec } from '../networks.js'
import { portListSpec } from '../ports.js'
import { securityGroupListSpec } from '../security-groups.js'
import { subnetListSpec } from '../subnets.js'
import type { CopyType, Resource, StoredCopy } from './db.js'
import type { AllocationPool } from '../ipam/common.js'
import { bottomAllocationPools } from '../ipam/region-pools.js'

/**
 * How the region shows its copies: central's body with the region's overrides, minus what the
 * caller may not see (provider attributes are for admins, binding attributes for admins and
 * services, as central renders them), and who may see which copy.
 */

/** Region overrides of a subnet copy: the region's own gateway (`interface_<region>_<subnet>`). */
export interface SubnetOverrides {
  gateway_ip?: string
  gateway_port_id?: string
}

/** A copy as the region serves it: central's body with the region's overrides applied. */
export function mergedView(copy: Pick<StoredCopy, 'type' | 'body' | 'overrides'>): Resource {
  if (copy.type !== 'subnet') return copy.body
  return withRegionGateway(copy.body, copy.overrides)
}

/**
 * A subnet as this region sees it: the region's gateway instead of central's, and the pools
 * recomputed around it. A subnet whose central gateway was removed has none here either.
 */
export function withRegionGateway(subnet: Resource, overrides: SubnetOverrides): Resource {
  const topGateway = typeof subnet.gateway_ip === 'string' ? subnet.gateway_ip : null
  if (!overrides.gateway_ip || !topGateway) return subnet
  const pools = Array.isArray(subnet.allocation_pools)
    ? (subnet.allocation_pools as AllocationPool[])
    : []
  return {
    ...subnet,
    gateway_ip: overrides.gateway_ip,
    allocation_pools: bottomAllocationPools(
      pools,
      topGateway,
      overrides.gateway_ip,
      typeof subnet.cidr === 'string' ? subnet.cidr : undefined,
    ),
  }
}

const PROVIDER = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id']
const BINDING = ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details']

/** The attributes of a copy the caller may read. */
export function forCaller(ctx: AuthContext, type: CopyType, body: Resource): Resource {
  const hidden =
    type === 'network' && !isAdmin(ctx)
      ? PROVIDER
      : type === 'port' && !isAdmin(ctx) && !isService(ctx)
        ? BINDING
        : []
  if (!hidden.length) return body
  return Object.fromEntries(Object.entries(body).filter(([k]) => !hidden.includes(k))) as Resource
}

const projectOf = (body: Resource): string => {
  const id = body.project_id ?? body.tenant_id
  return typeof id === 'string' ? id : ''
}

/** Networks: the caller's project's, shared, external, or any for admins. */
export const canSeeNetwork = (ctx: AuthContext, network: Resource): boolean =>
  isAdmin(ctx) ||
  projectOf(network) === ctx.projectId ||
  network.shared === true ||
  network['router:external'] === true

/**
 * Who may read a copy. Subnets follow their network (a shared network's subnets are everyone's);
 * ports are their project's and the network owner's; other resources their project's.
 */
export function canSee(
  ctx: AuthContext,
  type: CopyType,
  body: Resource,
  network: Resource | undefined,
): boolean {
  if (isAdmin(ctx)) return true
  if (projectOf(body) === ctx.projectId && ctx.projectId !== undefined) return true
  switch (type) {
    case 'network':
      return canSeeNetwork(ctx, body)
    case 'subnet':
      return network !== undefined && canSeeNetwork(ctx, network)
    case 'port':
      return network !== undefined && projectOf(network) === ctx.projectId
    case 'security_group':
    case 'router':
    case 'floatingip':
      return false
  }
}

/** Whether a network's placement (`availability_zone_hints`) lets it exist in this region. */
export function coversThisRegion(network: Resource, region: string, zone: string): boolean {
  const hints = Array.isArray(network.availability_zone_hints)
    ? (network.availability_zone_hints as string[])
    : []
  return hints.length === 0 || hints.includes(region) || (zone !== '' && hints.includes(zone))
}

/**
 * Whether a network lives in this region only (one hint, the region's name): such a network
 * keeps central's gateway. Anything else may span regions and gets a gateway per region.
 */
export const localToRegion = (network: Resource, region: string): boolean => {
  const hints = network.availability_zone_hints
  return Array.isArray(hints) && hints.length === 1 && hints[0] === region
}

/** List specs of what the region serves from copies: central's own, so filters mean the same. */
export const LIST_SPECS: Readonly<
  Record<'network' | 'subnet' | 'security_group' | 'port', ListSpec>
> = {
  network: networkListSpec,
  subnet: subnetListSpec,
  security_group: securityGroupListSpec,
  port: portListSpec,
}
