import { Type } from 'typebox'
import { NotFound, PayloadTooLarge, caller, type App } from '@tricircle/core'
import { getVisibleImage, requireOwner } from './access.js'
import type { ImageDeps } from './deps.js'
import { Tag } from './image-fields.js'
import { MAX_TAGS } from './image-view.js'

const TagParams = Type.Object({ id: Type.String({ maxLength: 255 }), tag: Tag })

/** `PUT|DELETE /v2/images/{id}/tags/{tag}`: adding an existing tag is a no-op, as in Glance. */
export function imageTagRoutes(app: App, deps: ImageDeps): void {
  const { db } = deps
  app.put('/v2/images/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
    const ctx = caller(req)
    const row = await getVisibleImage(db, ctx, req.params.id)
    requireOwner(ctx, row)
    await db.transaction().execute(async (trx) => {
      const { count } = await trx
        .selectFrom('image_tags')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('image_id', '=', row.id)
        .executeTakeFirstOrThrow()
      if (Number(count) >= MAX_TAGS)
        throw new PayloadTooLarge(`Maximum number of tags (${MAX_TAGS}) exceeded.`)
      await trx
        .insertInto('image_tags')
        .values({ image_id: row.id, tag: req.params.tag })
        .onConflict((oc) => oc.doNothing())
        .execute()
      await touch(deps, trx, row.id)
    })
    return reply.code(204).send()
  })

  app.delete('/v2/images/:id/tags/:tag', { schema: { params: TagParams } }, async (req, reply) => {
    const ctx = caller(req)
    const row = await getVisibleImage(db, ctx, req.params.id)
    requireOwner(ctx, row)
    const result = await db
      .deleteFrom('image_tags')
      .where('image_id', '=', row.id)
      .where('tag', '=', req.params.tag)
      .executeTakeFirst()
    if (result.numDeletedRows === 0n) throw new NotFound(`Tag ${req.params.tag} not found.`)
    await touch(deps, db, row.id)
    return reply.code(204).send()
  })
}

async function touch(deps: ImageDeps, db: ImageDeps['db'], id: string): Promise<void> {
  await db
    .updateTable('images')
    .set({ updated_at: new Date(deps.clock.now()).toISOString() })
    .where('id', '=', id)
    .execute()
}
