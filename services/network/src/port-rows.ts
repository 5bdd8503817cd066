import type { NetworkDatabase } from './db.js'

/**
 * Removes port rows that need no job (Tricircle's reserved ports, going with their subnet or
 * network), with their tags and the routing rows that locked them.
 */
export async function deletePortRows(trx: NetworkDatabase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
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
