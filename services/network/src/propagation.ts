import type { NetworkDatabase } from './db.js'
import type { JobQueue } from './jobs/index.js'
import type { JobType } from './jobs/registry.js'

/**
 * Where central resources have copies. A routing row (top id → region, type) is written when a
 * region first uses a resource (a port bound there); jobs fan out over those rows.
 */
export async function regionsHolding(
  db: NetworkDatabase,
  routingType: string,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (ids.length === 0) return out
  const rows = await db
    .selectFrom('resource_routings')
    .innerJoin('pods', 'pods.pod_id', 'resource_routings.pod_id')
    .select(['resource_routings.top_id', 'pods.region_name'])
    .where('resource_routings.resource_type', '=', routingType)
    .where('resource_routings.top_id', 'in', ids)
    .orderBy('pods.region_name')
    .execute()
  for (const r of rows) out.set(r.top_id, [...(out.get(r.top_id) ?? []), r.region_name])
  return out
}

/** The pods holding a copy of one resource. */
export async function podsHolding(db: NetworkDatabase, routingType: string, id: string) {
  const rows = await db
    .selectFrom('resource_routings')
    .select('pod_id')
    .where('resource_type', '=', routingType)
    .where('top_id', '=', id)
    .orderBy('pod_id')
    .execute()
  return rows.map((r) => r.pod_id)
}

/**
 * Queues one job per region holding a copy of the resource, in the caller's transaction, so the
 * change and the work that spreads it commit together. `dropRoutings` also forgets the copies
 * (the resource is being deleted; the jobs remove them).
 */
export async function enqueueForRegions(
  trx: NetworkDatabase,
  jobs: JobQueue,
  spec: {
    type: JobType
    projectId: string
    routingType: string
    id: string
    resource: (podId: string) => Record<string, string>
    dropRoutings?: boolean
  },
): Promise<void> {
  for (const podId of await podsHolding(trx, spec.routingType, spec.id)) {
    await jobs.enqueue(trx, {
      type: spec.type,
      projectId: spec.projectId,
      resource: spec.resource(podId),
    })
  }
  if (spec.dropRoutings) {
    await trx
      .deleteFrom('resource_routings')
      .where('resource_type', '=', spec.routingType)
      .where('top_id', '=', spec.id)
      .execute()
  }
}
