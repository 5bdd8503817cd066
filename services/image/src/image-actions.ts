import { Conflict, Forbidden, caller, isAdmin, type App, type AuthContext } from '@tricircle/core'
import { getVisibleImage } from './access.js'
import type { ImageStatus } from './db.js'
import type { ImageDeps } from './deps.js'
import { ImageParams } from './images.js'

/**
 * `POST /v2/images/{id}/actions/deactivate|reactivate`, admin-only as in Glance's default policy.
 * Only an active image can be deactivated and only a deactivated one reactivated; repeating
 * either is a no-op, as in Glance.
 */
export function imageActionRoutes(app: App, deps: ImageDeps): void {
  const opts = { schema: { params: ImageParams } }
  app.post('/v2/images/:id/actions/deactivate', opts, async (req, reply) => {
    await moveStatus(deps, caller(req), req.params.id, 'active', 'deactivated')
    return reply.code(204).send()
  })
  app.post('/v2/images/:id/actions/reactivate', opts, async (req, reply) => {
    await moveStatus(deps, caller(req), req.params.id, 'deactivated', 'active')
    return reply.code(204).send()
  })
}

async function moveStatus(
  deps: ImageDeps,
  ctx: AuthContext,
  id: string,
  from: ImageStatus,
  to: ImageStatus,
): Promise<void> {
  const row = await getVisibleImage(deps.db, ctx, id)
  if (!isAdmin(ctx)) throw new Forbidden('You are not authorized to complete this action.')
  if (row.status === to) return
  const result = await deps.db
    .updateTable('images')
    .set({ status: to, updated_at: new Date(deps.clock.now()).toISOString() })
    .where('id', '=', row.id)
    .where('status', '=', from)
    .executeTakeFirst()
  if (result.numUpdatedRows === 0n)
    throw new Conflict(
      `Not allowed to ${to === 'active' ? 'reactivate' : 'deactivate'} image in status '${row.status}'`,
    )
}
