import type { NetworkDatabase } from './db.js'
import type { NetworkDeps } from './deps.js'

/**
 * Removes ports' rows: a user's port, or Tricircle's reserved ports going with their subnet or
 * network. Their tags go, and so do the routing rows that locked a reserved one; a region
 * holding a copy of one (bound there) is told by a `port_delete` job, and its routing row goes
 * too.
 */
export async function deletePortRows(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return
  await forgetRegionCopies(trx, deps, ids)
  await trx
    .deleteFrom('resource_routings')
    .where('resource_type', '=', 'gateway_port')
    .where('bottom_id', 'in', ids)
    .execute()
  await trx
    .deleteFrom('tags')
    .where('resource_type', '=', 'ports')
    .where('resource_id', 'in', ids)
    .execute()
  await trx.deleteFrom('ports').where('id', 'in', ids).execute()
}

/**
 * Tells every region holding a copy of one of the ports (a `port` routing row) to drop it, by a
 * `port_delete` job committed with the caller's change, and deletes those routing rows.
 */
async function forgetRegionCopies(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ids: readonly string[],
): Promise<void> {
  const copies = await trx
    .selectFrom('resource_routings')
    .select(['pod_id', 'top_id', 'project_id'])
    .where('resource_type', '=', 'port')
    .where('top_id', 'in', ids)
    .execute()
  for (const copy of copies) {
    await deps.jobs.enqueue(trx, {
      type: 'port_delete',
      projectId: copy.project_id ?? '',
      resource: { pod_id: copy.pod_id, port_id: copy.top_id },
    })
  }
  await trx
    .deleteFrom('resource_routings')
    .where('resource_type', '=', 'port')
    .where('top_id', 'in', ids)
    .execute()
}
