import type { AuthContext } from '@tricircle/core'
import type { IdentityDatabase } from './db.js'

/**
 * The domain a create lands in when the request names none: the token's domain, or the domain of
 * its project, as Keystone does; `default` otherwise.
 */
export async function scopeDomainId(db: IdentityDatabase, ctx: AuthContext): Promise<string> {
  if (ctx.domainId) return ctx.domainId
  if (ctx.projectId) {
    const p = await db
      .selectFrom('projects')
      .select('domain_id')
      .where('id', '=', ctx.projectId)
      .executeTakeFirst()
    if (p) return p.domain_id
  }
  return 'default'
}
