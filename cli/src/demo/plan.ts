/**
 * The seed's Fig. 3 as data: two networks spanning both regions, a router joining them, and
 * four containers, one per (region, network) pair. Every name the demo creates is here, so a
 * demo left behind can be found again by name.
 */
export const CENTRAL_REGION = 'CentralRegion'
export const ROUTER_NAME = 'demo-router'

export const NETWORKS = [
  { key: 'net1', name: 'demo-net1', subnet: 'demo-subnet1', cidr: '10.201.1.0/24' },
  { key: 'net2', name: 'demo-net2', subnet: 'demo-subnet2', cidr: '10.201.2.0/24' },
] as const

export interface ContainerPlan {
  /** Container1…Container4, as in the figure. */
  label: string
  name: string
  region: string
  /** Index into NETWORKS. */
  network: 0 | 1
}

/** Container1 (A, net1), Container2 (B, net1), Container3 (A, net2), Container4 (B, net2). */
export function planContainers([first, second]: readonly [string, string]): ContainerPlan[] {
  const layout = [
    [first, 0],
    [second, 0],
    [first, 1],
    [second, 1],
  ] as const
  return layout.map(([region, network], i) => ({
    label: `Container${i + 1}`,
    name: `demo-container${i + 1}`,
    region,
    network,
  }))
}

export const CONTAINER_NAMES = planContainers(['', '']).map((c) => c.name)

/** `--regions A,B[,…]`: the first two distinct regions given. */
export function parseRegions(list: string): [string, string] {
  const regions = list
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
  const [first, second] = regions
  if (!first || !second) throw new Error(`--regions wants two regions, e.g. RegionOne,RegionTwo`)
  if (first === second) throw new Error(`--regions wants two different regions, not ${list}`)
  if (first === CENTRAL_REGION || second === CENTRAL_REGION) {
    throw new Error(`${CENTRAL_REGION} runs no containers; name two other regions in --regions`)
  }
  return [first, second]
}

/**
 * Which of `items` the demo made: a name it uses and, when the item says, the caller's project
 * (an admin sees other projects' networks too, and those are never touched).
 */
export function demoLeftovers<T extends { name?: string | null; project_id?: string }>(
  items: readonly T[],
  names: readonly string[],
  projectId: string,
): T[] {
  return items.filter(
    (item) =>
      typeof item.name === 'string' &&
      names.includes(item.name) &&
      (item.project_id === undefined || item.project_id === projectId),
  )
}
