import { parseCidr, parseIp, rangeContains, type IpRange } from '@tricircle/netaddr'
import { poolBounds, poolsToRanges, rangeToPool, type AllocationPool } from './common.js'

/**
 * The allocation pools of a subnet's copy in one region (Tricircle's
 * `NetworkHelper.get_bottom_subnet_pools`, tricircle.md §b.4). Each region's copy of a subnet
 * has its own gateway — the address of the central port `interface_<region>_<subnet>` — while
 * every other address is allocated centrally. So the local pools are the central ones with the
 * region's gateway taken out (splitting the pool that holds it) and the central gateway, which
 * is an ordinary address in that region, put back:
 *
 * - no central gateway: the pools unchanged;
 * - the region's gateway is removed from the pool holding it (the other pools are kept);
 * - if the two gateways differ, the central one is added back, merged with every pool it
 *   touches. The pools it does not touch come first, in their order, then the merged one (or
 *   the gateway alone), as Tricircle returns them.
 *
 * Example: `10.0.1.0/24`, central gateway `.1`, pools `[.2-.254]`, region gateway `.3` →
 * `[.4-.254], [.1-.2]`.
 *
 * Differences from Tricircle, where its code is plainly wrong: it drops the pools before the
 * one holding the region's gateway, and keeps a single-address pool that is the region's
 * gateway; here neither happens. With `cidr` given, a central gateway outside the usable range
 * (a gateway may lie outside the subnet) is not added back, since the region's Neutron would
 * refuse such a pool.
 */
export function bottomAllocationPools(
  topPools: readonly AllocationPool[],
  topGateway: string | null,
  bottomGateway: string,
  cidr?: string,
): AllocationPool[] {
  if (topGateway === null) return topPools.map((p) => ({ ...p }))
  const bottom = parseIp(bottomGateway)
  const top = parseIp(topGateway)

  const split: IpRange[] = []
  for (const pool of poolsToRanges(topPools)) {
    if (!rangeContains(pool, bottom)) {
      split.push(pool)
      continue
    }
    if (bottom.value > pool.first) split.push(range(pool, pool.first, bottom.value - 1n))
    if (bottom.value < pool.last) split.push(range(pool, bottom.value + 1n, pool.last))
  }
  if (top.version === bottom.version && top.value === bottom.value) return split.map(rangeToPool)

  if (cidr !== undefined) {
    const c = parseCidr(cidr)
    const bounds = poolBounds(c)
    if (top.version !== c.version || top.value < bounds.first || top.value > bounds.last) {
      return split.map(rangeToPool)
    }
  }

  const apart: IpRange[] = []
  let merged: IpRange = { version: top.version, first: top.value, last: top.value }
  for (const pool of split) {
    const touches =
      pool.version === top.version && pool.first <= top.value + 1n && top.value <= pool.last + 1n
    if (!touches) {
      apart.push(pool)
      continue
    }
    merged = {
      version: top.version,
      first: pool.first < merged.first ? pool.first : merged.first,
      last: pool.last > merged.last ? pool.last : merged.last,
    }
  }
  return [...apart, merged].map(rangeToPool)
}

function range(like: IpRange, first: bigint, last: bigint): IpRange {
  return { version: like.version, first, last }
}
