import { isAdmin, type AuthContext } from '@tricircle/core'
import type { NetworkDatabase } from './db.js'
import type { NetworkDeps } from './deps.js'
import { InvalidInput, PortNotFound } from './errors.js'
import type { RegionProfile } from './port-binding.js'
import { ensureDefaultSecurityGroup, getVisibleSecurityGroup } from './security-groups.js'

/** What both creating and updating a port check. */

export async function getVisiblePort(db: NetworkDatabase, ctx: AuthContext, id: string) {
  const row = await db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId)) throw new PortNotFound(id)
  return row
}

/** Security groups named on a port must exist and be the caller's (or the admin's choice). */
export async function resolveGroups(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  projectId: string,
  requested: readonly string[] | undefined,
  portSecurity: boolean,
  deviceOwner: string,
): Promise<string[]> {
  if (requested !== undefined) {
    if (requested.length && !portSecurity) {
      throw new PortSecurityAndIPRequiredForSecurityGroups()
    }
    for (const id of requested) await getVisibleSecurityGroup(trx, ctx, id)
    return [...new Set(requested)]
  }
  if (!portSecurity || deviceOwner.startsWith('network:')) return []
  return [await ensureDefaultSecurityGroup(trx, deps, projectId)]
}

export class PortSecurityAndIPRequiredForSecurityGroups extends InvalidInput {
  constructor() {
    super(
      'Port security must be enabled and port must have an IP address in order to use security groups',
    )
  }
}

/** A `binding:profile` a region wrote (it names the region). */
export const isRegionProfile = (p: unknown): p is RegionProfile =>
  typeof p === 'object' && p !== null && typeof (p as RegionProfile).region === 'string'
