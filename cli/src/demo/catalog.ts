/** The service catalog as a Keystone v3 token carries it. */
export interface CatalogService {
  type: string
  name?: string
  endpoints: CatalogEndpoint[]
}

export interface CatalogEndpoint {
  interface: string
  region?: string | null
  region_id?: string | null
  url: string
}

const regionOf = (e: CatalogEndpoint) => e.region_id ?? e.region ?? undefined

/** The URL of the `type` service in `region` on `iface`, or undefined. */
export function findEndpoint(
  catalog: readonly CatalogService[],
  type: string,
  region: string,
  iface = 'public',
): string | undefined {
  for (const service of catalog) {
    if (service.type !== type) continue
    const hit = service.endpoints.find((e) => e.interface === iface && regionOf(e) === region)
    if (hit) return hit.url.replace(/\/+$/, '')
  }
  return undefined
}

/** Like findEndpoint, but a missing endpoint is an error naming it. */
export function requireEndpoint(
  catalog: readonly CatalogService[],
  type: string,
  region: string,
  iface = 'public',
): string {
  const url = findEndpoint(catalog, type, region, iface)
  if (url) return url
  const known = regionsWith(catalog, type, iface)
  throw new Error(
    `the catalog has no ${iface} '${type}' endpoint in region ${region}` +
      (known.length ? ` (it has one in ${known.join(', ')})` : '') +
      '; is the cloud up with that region? Start it with `tricircle up`',
  )
}

/** Every region with a `type` endpoint on `iface`, in catalog order. */
export function regionsWith(
  catalog: readonly CatalogService[],
  type: string,
  iface = 'public',
): string[] {
  const regions = catalog
    .filter((s) => s.type === type)
    .flatMap((s) => s.endpoints.filter((e) => e.interface === iface).map(regionOf))
  return [...new Set(regions.filter((r): r is string => r !== undefined))]
}
