/**
 * Docker networks onto Neutron networks, as Kuryr maps them:
 *
 * - **CreateNetwork** with `neutron.net.uuid` (or `neutron.net.name`) uses that network, which
 *   must exist in the region; without either it makes one (`kuryr-net-<id[0:8]>`), local to the
 *   host's region, so the gateway Docker was given is the subnet's everywhere it is used. Each
 *   pool gets its subnet: the one it named, else the network's subnet with its CIDR, else a new
 *   `kuryr-subnet-<cidr>`. The network is tagged with the Docker network's id
 *   (`kuryr.net.uuid.lh/uh`, and `kuryr.net.existing` on a network that existed). Whatever it
 *   made is undone if a later step fails.
 * - **DeleteNetwork** deletes what the plugin made (the network, or the subnets it added to an
 *   existing one) and removes its tags, through the clean-up tasks.
 */
import { BadRequest, Conflict, NotFound, NotImplemented } from '@tricircle/core'
import { inContext, type DriverContext } from './context.js'
import { canonicalCidr, onlyOne, option, type Options } from './pools.js'
import { DRIVER_NAME, networkName, networkTags, OPTION, subnetName } from './names.js'
import type { Network, Subnet } from './network-service.js'
import type { CleanupTask, PluginState, PoolRecord, PoolSubnet } from './state.js'

export interface IpamData {
  readonly Pool: string
  readonly Gateway?: string
  readonly AddressSpace?: string
}
export interface CreateNetworkRequest {
  readonly NetworkID: string
  readonly Options?: Options
  readonly IPv4Data?: readonly IpamData[] | null
  readonly IPv6Data?: readonly IpamData[] | null
}

export const networkCapabilities = () => ({ Scope: 'local', ConnectivityScope: 'local' })

/** The driver options (`-o`), which Docker passes under `com.docker.network.generic`. */
function genericOptions(options: Options): Options {
  const generic = options?.['com.docker.network.generic']
  return typeof generic === 'object' && generic !== null ? (generic as Options) : {}
}

const poolSubnetOf = (subnet: Subnet): PoolSubnet => ({
  id: subnet.id,
  networkId: subnet.network_id,
  gateway: subnet.gateway_ip,
})

/** The pool Docker got for `cidr` and has not used yet, preferring one on `networkId`. */
export function unusedPool(
  state: Readonly<PluginState>,
  cidr: string,
  networkId: string,
): PoolRecord {
  const candidates = Object.values(state.pools)
    .filter((p) => p.cidr === cidr && !p.dockerNetworkId)
    .filter((p) => !p.explicit || p.subnet?.networkId === networkId)
    .sort((a, b) => b.since - a.since)
  const pool = candidates.find((p) => p.subnet?.networkId === networkId) ?? candidates[0]
  if (pool) return pool
  const elsewhere = Object.values(state.pools).find(
    (p) => p.cidr === cidr && !p.dockerNetworkId && p.explicit,
  )
  if (elsewhere?.subnet) {
    throw new BadRequest(
      `subnet ${elsewhere.subnet.id} named by the IPAM options is on network ${elsewhere.subnet.networkId}, not on ${networkId}`,
    )
  }
  throw new BadRequest(
    `no pool ${cidr} from this plugin for network ${networkId}: use --ipam-driver ${DRIVER_NAME}`,
  )
}

/** The Neutron network the options name (it must exist), or a new one. */
async function neutronNetwork(
  ctx: DriverContext,
  dockerId: string,
  generic: Options,
  made: CleanupTask[],
): Promise<{ network: Network; existing: boolean }> {
  const uuid = option(generic, OPTION.netUuid)
  const name = option(generic, OPTION.netName)
  const shared = option(generic, OPTION.netShared)
  if (uuid || name) {
    let network: Network
    try {
      network = uuid
        ? await ctx.neutron.getNetwork(uuid)
        : onlyOne(await ctx.neutron.listNetworks({ name: name! }), `network ${name}`)
    } catch (error) {
      if (!(error instanceof NotFound)) throw inContext(`looking up network ${uuid ?? name}`, error)
      const which = uuid ? `${uuid} (${OPTION.netUuid})` : `${name} (${OPTION.netName})`
      throw new NotFound(`Neutron network ${which} does not exist in region ${ctx.region}`)
    }
    if (shared !== undefined && (shared.toLowerCase() === 'true') !== network.shared) {
      throw new Conflict(
        `network ${network.id} is ${network.shared ? '' : 'not '}shared, but ${OPTION.netShared}=${shared}`,
      )
    }
    return { network, existing: true }
  }
  try {
    const network = await ctx.neutron.createNetwork({
      name: networkName(dockerId),
      admin_state_up: true,
      shared: shared?.toLowerCase() === 'true',
      availability_zone_hints: [ctx.region],
    })
    made.push({ kind: 'delete-network', id: network.id })
    return { network, existing: false }
  } catch (error) {
    throw inContext('cannot create a network', error)
  }
}

/** The subnet a pool stands for on `network`: named, found by CIDR, or made. */
async function subnetFor(
  ctx: DriverContext,
  network: Network,
  existing: boolean,
  pool: PoolRecord,
  data: IpamData,
  made: CleanupTask[],
): Promise<PoolSubnet> {
  if (pool.explicit && pool.subnet) return pool.subnet
  const { neutron } = ctx
  try {
    if (existing) {
      const found = await neutron.listSubnets({ network_id: network.id, cidr: pool.cidr })
      if (found.length > 0) {
        // By id: the region's view, with its own gateway.
        return poolSubnetOf(await neutron.getSubnet(onlyOne(found, `subnet ${pool.cidr}`).id))
      }
    }
    const gateway = pool.gateway ?? data.Gateway?.split('/')[0]
    const subnet = await neutron.createSubnet({
      network_id: network.id,
      project_id: network.project_id,
      name: subnetName(pool.cidr),
      cidr: pool.cidr,
      ip_version: 4,
      gateway_ip: gateway && gateway !== '0.0.0.0' ? gateway : null,
      enable_dhcp: false,
    })
    if (existing) made.push({ kind: 'delete-subnet', id: subnet.id })
    // As the region shows it: on a network spanning regions the gateway is the region's own.
    return poolSubnetOf(existing ? await neutron.getSubnet(subnet.id) : subnet)
  } catch (error) {
    throw inContext(`cannot find or create the subnet ${pool.cidr} on network ${network.id}`, error)
  }
}

export async function createNetwork(ctx: DriverContext, req: CreateNetworkRequest) {
  const id = req.NetworkID
  if (ctx.state.current.networks[id]) return {}
  if (req.IPv6Data?.length) {
    throw new NotImplemented('IPv6 is not supported yet; create the network without --ipv6')
  }
  const data = req.IPv4Data ?? []
  if (data.length === 0) throw new BadRequest(`no IPv4 pool: use --ipam-driver ${DRIVER_NAME}`)
  const made: CleanupTask[] = []
  try {
    const { network, existing } = await neutronNetwork(ctx, id, genericOptions(req.Options), made)
    const used: { pool: PoolRecord; subnet: PoolSubnet }[] = []
    for (const entry of data) {
      const pool = unusedPool(ctx.state.current, canonicalCidr(entry.Pool), network.id)
      const subnet = await subnetFor(ctx, network, existing, pool, entry, made)
      const docker = entry.Gateway?.split('/')[0]
      if (docker && subnet.gateway && docker !== subnet.gateway) {
        ctx.log.warn(
          { network: id, subnet: subnet.id, docker, region: subnet.gateway },
          "Docker's gateway is not the region's; containers get the region's",
        )
      }
      used.push({ pool, subnet })
    }
    const tags = networkTags(id, existing)
    for (const tag of tags) {
      try {
        await ctx.neutron.addTag('networks', network.id, tag)
      } catch (error) {
        throw inContext(`cannot tag network ${network.id}`, error)
      }
      if (existing) made.push({ kind: 'untag-network', id: network.id, tag })
    }
    await ctx.state.update((draft) => {
      for (const { pool, subnet } of used) {
        const p = draft.pools[pool.id]
        if (!p || p.dockerNetworkId) throw new Conflict(`pool ${pool.cidr} was released meanwhile`)
        p.subnet = subnet
        p.dockerNetworkId = id
      }
      draft.networks[id] = {
        id,
        neutronId: network.id,
        projectId: network.project_id,
        created: !existing,
        createdSubnets: made.filter((t) => t.kind === 'delete-subnet').map((t) => t.id),
        tags: existing ? tags : [],
        mtu: network.mtu,
      }
    })
    ctx.log.info(
      { network: id, neutron: network.id, existing, subnets: used.map((u) => u.subnet.id) },
      'network created',
    )
    return {}
  } catch (error) {
    if (made.length) await ctx.cleanup.add(made.reverse())
    throw error
  }
}

export async function deleteNetwork(ctx: DriverContext, req: { readonly NetworkID: string }) {
  const record = ctx.state.current.networks[req.NetworkID]
  if (!record) return {}
  const tasks: CleanupTask[] = record.created
    ? [{ kind: 'delete-network', id: record.neutronId }]
    : [
        ...record.createdSubnets.map((id): CleanupTask => ({ kind: 'delete-subnet', id })),
        ...record.tags.map((tag): CleanupTask => ({
          kind: 'untag-network',
          id: record.neutronId,
          tag,
        })),
      ]
  await ctx.cleanup.add(tasks, (draft) => {
    delete draft.networks[req.NetworkID]
  })
  ctx.log.info({ network: req.NetworkID, neutron: record.neutronId }, 'network deleted')
  return {}
}
