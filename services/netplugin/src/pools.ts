/**
 * The IPAM driver's pools: Docker's pools are Neutron subnets.
 *
 * **RequestPool** finds the subnet the pool stands for: named by `neutron.subnet.uuid` /
 * `neutron.subnet.name` (or a subnet of `neutron.pool.uuid` / `neutron.pool.name` with the CIDR),
 * else the only subnet with the pool's CIDR. With none (several subnets share the CIDR, or
 * CreateNetwork will make it) the pool waits for CreateNetwork to fix its subnet. The PoolID is
 * the plugin's own (a UUID kept in the state). Pools may overlap only when both name their
 * subnets and the subnets differ: Docker cannot tell overlapping pools apart otherwise.
 */
import { randomUUID } from 'node:crypto'
import { BadRequest, Conflict, NotFound, NotImplemented } from '@tricircle/core'
import { formatCidr, overlaps, parseCidr } from '@tricircle/netaddr'
import { inContext, type DriverContext } from './context.js'
import { ADDRESS_SPACE, OPTION } from './names.js'
import type { Subnet } from './network-service.js'
import type { PluginState, PoolRecord, PoolSubnet } from './state.js'

export type Options = Readonly<Record<string, unknown>> | null | undefined

export interface RequestPoolRequest {
  readonly Pool?: string
  readonly SubPool?: string
  readonly Options?: Options
  readonly V6?: boolean
}
/** A pool Docker asked for but never used for a network this long ago was abandoned. */
export const ABANDONED_POOL_MS = 5 * 60_000

export const ipamCapabilities = () => ({ RequiresMACAddress: false, RequiresRequestReplay: false })

export const defaultAddressSpaces = () => ({
  LocalDefaultAddressSpace: ADDRESS_SPACE,
  GlobalDefaultAddressSpace: ADDRESS_SPACE,
})

/** A string option, if set. */
export function option(options: Options, name: string): string | undefined {
  const value = options?.[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

export function canonicalCidr(text: string): string {
  try {
    return formatCidr(parseCidr(text, { strict: true }))
  } catch {
    throw new BadRequest(`${text} is not a valid CIDR (a network address and a prefix length)`)
  }
}

/**
 * Why a pool for `cidr` cannot be added beside `pools`, or undefined if it can: overlapping
 * pools are allowed only when both name their (different) subnets explicitly.
 */
export function poolConflict(
  pools: Iterable<PoolRecord>,
  wanted: { readonly cidr: string; readonly explicit: boolean; readonly subnetId?: string },
): string | undefined {
  for (const pool of pools) {
    const user = pool.dockerNetworkId
      ? `Docker network ${pool.dockerNetworkId.slice(0, 12)}`
      : 'a network being created'
    if (wanted.subnetId !== undefined && pool.subnet?.id === wanted.subnetId) {
      return `Neutron subnet ${wanted.subnetId} (${pool.cidr}) is already the pool of ${user}`
    }
    if (!overlaps(wanted.cidr, pool.cidr)) continue
    if (wanted.explicit && pool.explicit) continue
    return `pool ${wanted.cidr} overlaps pool ${pool.cidr} of ${user}; overlapping pools must name their Neutron subnets (--ipam-opt ${OPTION.subnetUuid}=<id>)`
  }
  return undefined
}

function dropAbandonedPools(draft: PluginState, now: number): void {
  for (const [id, pool] of Object.entries(draft.pools)) {
    if (!pool.dockerNetworkId && now - pool.since > ABANDONED_POOL_MS) delete draft.pools[id]
  }
}

export function onlyOne<T extends { id: string }>(found: T[], what: string): T {
  if (found.length === 0) throw new NotFound(`${what} does not exist`)
  if (found.length > 1) {
    throw new Conflict(`${what} is ambiguous: ${found.map((f) => f.id).join(', ')}`)
  }
  return found[0]!
}

/** The subnet the options name (or the only one with the CIDR), and whether it was named. */
async function findSubnet(
  ctx: DriverContext,
  cidr: string | undefined,
  options: Options,
): Promise<{ subnet?: Subnet; explicit: boolean }> {
  const { neutron, region } = ctx
  const byCidr: Record<string, string> = cidr ? { cidr } : {}
  const uuid = option(options, OPTION.subnetUuid)
  const name = option(options, OPTION.subnetName)
  const poolId = option(options, OPTION.poolUuid)
  const poolName = option(options, OPTION.poolName)
  // A subnet found in a list is read again by id: only then does the region fix (and show) its
  // own gateway for a subnet spanning regions.
  const one = async (subnets: Subnet[], explicit: boolean) =>
    subnets.length === 1 ? { subnet: await neutron.getSubnet(subnets[0]!.id), explicit } : undefined
  try {
    if (uuid) return { subnet: await neutron.getSubnet(uuid), explicit: true }
    if (name) {
      const subnets = await neutron.listSubnets({ name, ...byCidr })
      onlyOne(subnets, `subnet ${name} (${OPTION.subnetName})`)
      return (await one(subnets, true))!
    }
    if (poolId || poolName) {
      const pool = poolId
        ? await neutron.getSubnetPool(poolId)
        : onlyOne(await neutron.listSubnetPools({ name: poolName! }), `subnet pool ${poolName}`)
      const subnets = await neutron.listSubnets({ subnetpool_id: pool.id, ...byCidr })
      return (await one(subnets, true)) ?? { explicit: false }
    }
    if (!cidr) return { explicit: false }
    return (await one(await neutron.listSubnets({ cidr }), false)) ?? { explicit: false }
  } catch (error) {
    const named = uuid ?? name ?? poolId ?? poolName
    if (error instanceof NotFound) {
      throw new NotFound(`${error.message} in region ${region}`)
    }
    throw inContext(`looking up ${named ? `subnet ${named}` : `the subnet of ${cidr}`}`, error)
  }
}

export async function requestPool(ctx: DriverContext, req: RequestPoolRequest) {
  if (req.V6) {
    throw new NotImplemented('IPv6 pools are not supported yet; create the network without --ipv6')
  }
  if (req.SubPool) {
    throw new BadRequest("--ip-range is not supported: the subnet's allocation pools decide")
  }
  const cidr = req.Pool ? canonicalCidr(req.Pool) : undefined
  const { subnet, explicit } = await findSubnet(ctx, cidr, req.Options)
  if (subnet && subnet.ip_version !== 4) {
    throw new BadRequest(`subnet ${subnet.id} is IPv${subnet.ip_version}; this pool is IPv4`)
  }
  if (subnet && cidr && canonicalCidr(subnet.cidr) !== cidr) {
    throw new BadRequest(`subnet ${subnet.id} is ${subnet.cidr}, not ${cidr}`)
  }
  const poolCidr = cidr ?? (subnet ? canonicalCidr(subnet.cidr) : undefined)
  if (!poolCidr) {
    throw new BadRequest(
      `no subnet given: use --subnet CIDR, or --ipam-opt ${OPTION.subnetUuid}=<Neutron subnet>`,
    )
  }
  const found: PoolSubnet | undefined = subnet && {
    id: subnet.id,
    networkId: subnet.network_id,
    gateway: subnet.gateway_ip,
  }
  const id = randomUUID()
  const now = Date.now()
  await ctx.state.update((draft) => {
    dropAbandonedPools(draft, now)
    const conflict = poolConflict(Object.values(draft.pools), {
      cidr: poolCidr,
      explicit,
      ...(found ? { subnetId: found.id } : {}),
    })
    if (conflict) throw new Conflict(conflict)
    draft.pools[id] = { id, cidr: poolCidr, since: now, explicit, ...(found && { subnet: found }) }
  })
  ctx.log.info({ pool: id, cidr: poolCidr, subnet: found?.id, explicit }, 'pool requested')
  return { PoolID: id, Pool: poolCidr, Data: {} }
}

export async function releasePool(ctx: DriverContext, req: { readonly PoolID: string }) {
  await ctx.state.update((draft) => {
    delete draft.pools[req.PoolID]
  })
  return {}
}
