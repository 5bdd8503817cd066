import type { IdentityDatabase } from './db.js'

export interface CatalogEntry {
  id: string
  type: string
  name: string
  endpoints: {
    id: string
    interface: string
    region_id: string | null
    region: string | null
    url: string
  }[]
}

/** The service catalog as tokens carry it: every enabled service with its enabled endpoints. */
export async function buildCatalog(db: IdentityDatabase): Promise<CatalogEntry[]> {
  const rows = await db
    .selectFrom('services as s')
    .leftJoin('endpoints as e', (j) => j.onRef('e.service_id', '=', 's.id').on('e.enabled', '=', 1))
    .select([
      's.id as service_id',
      's.type',
      's.name',
      'e.id as endpoint_id',
      'e.interface',
      'e.region_id',
      'e.url',
    ])
    .where('s.enabled', '=', 1)
    .orderBy('s.type')
    .orderBy('s.id')
    .orderBy('e.region_id')
    .orderBy('e.interface')
    .execute()
  const byService = new Map<string, CatalogEntry>()
  for (const r of rows) {
    let entry = byService.get(r.service_id)
    if (!entry) {
      entry = { id: r.service_id, type: r.type, name: r.name, endpoints: [] }
      byService.set(r.service_id, entry)
    }
    if (r.endpoint_id && r.interface && r.url) {
      entry.endpoints.push({
        id: r.endpoint_id,
        interface: r.interface,
        region_id: r.region_id,
        region: r.region_id,
        url: r.url,
      })
    }
  }
  return [...byService.values()]
}
