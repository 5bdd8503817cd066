import type { IdentitySession } from '@tricircle/client'
import { requestJson } from '@tricircle/client'
import { ServiceUnavailable } from '@tricircle/core'
import type { NetworkDatabase } from '../db.js'

/** Where each region's local network service answers. */
export interface RegionDirectory {
  /** The region's network endpoint (unversioned URL) and its name. */
  endpointOf(podId: string): Promise<{ region: string; url: string }>
}

interface CatalogBody {
  catalog: {
    type: string
    endpoints: { interface: string; region_id?: string; region?: string; url: string }[]
  }[]
}

/**
 * Regions found in the identity service's catalog (service type `network`, the internal
 * interface if there is one, else public), as Tricircle caches endpoints per pod. The catalog is
 * read again when a region is missing, so a region registered later is found.
 */
export function catalogDirectory(options: {
  db: NetworkDatabase
  session: IdentitySession
  identityUrl: string
}): RegionDirectory {
  let cache = new Map<string, string>()
  const refresh = async () => {
    const token = await options.session.token()
    const res = await requestJson<CatalogBody>(
      `${options.identityUrl.replace(/\/+$/, '')}/v3/auth/catalog`,
      { headers: { 'x-auth-token': token } },
    )
    const next = new Map<string, string>()
    for (const service of res.body.catalog) {
      if (service.type !== 'network') continue
      for (const e of service.endpoints) {
        const region = e.region_id ?? e.region
        if (!region) continue
        if (e.interface === 'internal' || !next.has(region)) next.set(region, e.url)
      }
    }
    cache = next
  }
  return {
    async endpointOf(podId) {
      const pod = await options.db
        .selectFrom('pods')
        .select('region_name')
        .where('pod_id', '=', podId)
        .executeTakeFirst()
      if (!pod) throw new ServiceUnavailable(`pod ${podId} is not registered`)
      if (!cache.has(pod.region_name)) await refresh()
      const url = cache.get(pod.region_name)
      if (!url) throw new ServiceUnavailable(`no network endpoint for region ${pod.region_name}`)
      return { region: pod.region_name, url: url.replace(/\/+$/, '') }
    },
  }
}

/** A fixed map region → URL, for tests and one-machine labs. */
export function staticDirectory(
  db: NetworkDatabase,
  urls: Record<string, string>,
): RegionDirectory {
  return {
    async endpointOf(podId) {
      const pod = await db
        .selectFrom('pods')
        .select('region_name')
        .where('pod_id', '=', podId)
        .executeTakeFirst()
      const url = pod && urls[pod.region_name]
      if (!pod || !url) throw new ServiceUnavailable(`no network endpoint for pod ${podId}`)
      return { region: pod.region_name, url }
    },
  }
}
