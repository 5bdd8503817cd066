import type { NetworkDatabase } from './db.js'
import { AvailabilityZoneNotFound, RouterNetworkLocationMismatch } from './errors.js'

/**
 * Tricircle's placement rules (`availability_zone_hints` on networks and routers). A hint names a
 * region (a pod's `region_name`) or an availability zone (a group of pods sharing `az_name`):
 * - exactly one hint that is a region name → the resource is local to that region;
 * - no hint, an AZ name, or several hints → it spans every region they cover (no hint: all).
 */
export interface Pod {
  region_name: string
  az_name: string
}

/** The bottom pods (regions); the top pod (central, `az_name` '') is not a placement target. */
export async function regionPods(db: NetworkDatabase): Promise<Pod[]> {
  return db
    .selectFrom('pods')
    .select(['region_name', 'az_name'])
    .where('az_name', '<>', '')
    .execute()
}

/** Every hint must name a region or an availability zone; otherwise AvailabilityZoneNotFound. */
export function validateHints(hints: readonly string[], pods: readonly Pod[]): void {
  for (const hint of hints) {
    if (!pods.some((p) => p.region_name === hint || p.az_name === hint)) {
      throw new AvailabilityZoneNotFound(hint)
    }
  }
}

/** The regions the hints cover; no hint covers every region. */
export function regionsOf(hints: readonly string[], pods: readonly Pod[]): string[] {
  const covered = pods.filter(
    (p) => hints.length === 0 || hints.includes(p.region_name) || hints.includes(p.az_name),
  )
  return [...new Set(covered.map((p) => p.region_name))].sort()
}

/** One hint that is a region name: the network or router lives in that region only. */
export function localRegion(hints: readonly string[], pods: readonly Pod[]): string | undefined {
  if (hints.length !== 1) return undefined
  return pods.some((p) => p.region_name === hints[0]) ? hints[0] : undefined
}

/** Whether a resource with these hints may exist in `region`. */
export const coversRegion = (hints: readonly string[], pods: readonly Pod[], region: string) =>
  regionsOf(hints, pods).includes(region)

/**
 * Tricircle's check when a router meets a network (interface or gateway): a local router takes a
 * network without hints (each region gets its own gateway) or one that covers its region; a
 * router spanning regions needs a network whose regions it covers, and a network without hints
 * (all regions) fits only a router without hints.
 */
export function validateRouterNetworkLocation(
  routerHints: readonly string[],
  networkHints: readonly string[],
  pods: readonly Pod[],
): void {
  if (routerHints.length === 0) return
  const routerRegions = regionsOf(routerHints, pods)
  if (localRegion(routerHints, pods)) {
    if (networkHints.length === 0) return
    const networkRegions = regionsOf(networkHints, pods)
    if (routerRegions.every((r) => networkRegions.includes(r))) return
  } else if (networkHints.length > 0) {
    const networkRegions = regionsOf(networkHints, pods)
    if (networkRegions.every((r) => routerRegions.includes(r))) return
  }
  throw new RouterNetworkLocationMismatch(
    [...routerHints],
    networkHints.length ? [...networkHints] : ['All Region'],
  )
}
