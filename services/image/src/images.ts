import { Type } from 'typebox'
import {
  Conflict,
  Forbidden,
  caller,
  isAdmin,
  uuid,
  type App,
  type AuthContext,
} from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import { creatorProject, getVisibleImage, requireOwner } from './access.js'
import type { ImageRow } from './db.js'
import type { ImageDeps } from './deps.js'
import { UUID, WritableFields, checkExtra, refuseReadOnly } from './image-fields.js'
import { viewImage } from './image-view.js'

const ImageCreate = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: UUID })),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    ...Type.Partial(Type.Object(WritableFields)).properties,
  },
  { additionalProperties: true },
)
export const ImageParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) })

/** Making an image public is an admin's decision in Glance's default policy. */
export function checkVisibilityChange(ctx: AuthContext, visibility: string | undefined): void {
  if (visibility === 'public' && !isAdmin(ctx))
    throw new Forbidden('You are not authorized to complete publicize_image action.')
}

export function imageRoutes(app: App, deps: ImageDeps): void {
  const { db, clock } = deps

  app.post('/v2/images', { schema: { body: ImageCreate } }, async (req, reply) => {
    const ctx = caller(req)
    const { id, owner, name, visibility, tags, ...rest } = req.body
    const project = creatorProject(ctx)
    if (owner !== undefined && owner !== project && !isAdmin(ctx))
      throw new Forbidden('You are not permitted to create images owned by other projects.')
    checkVisibilityChange(ctx, visibility)
    const base = pickBase(rest)
    const extra = Object.fromEntries(Object.entries(rest).filter(([k]) => !(k in base)))
    for (const key of Object.keys(extra)) refuseReadOnly(key)
    const now = new Date(clock.now()).toISOString()
    const row: ImageRow = {
      id: id?.toLowerCase() ?? uuid(),
      name: name ?? null,
      status: 'queued',
      // Glance's default since Ocata: shared, i.e. private until a member is added.
      visibility: visibility ?? 'shared',
      protected: base.protected ? 1 : 0,
      os_hidden: base.os_hidden ? 1 : 0,
      owner: owner ?? project,
      size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      container_format: base.container_format ?? null,
      disk_format: base.disk_format ?? null,
      min_disk: base.min_disk ?? 0,
      min_ram: base.min_ram ?? 0,
      extra: JSON.stringify(checkExtra(extra)),
      created_at: now,
      updated_at: now,
    }
    await onUniqueViolation(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('images').values(row).execute()
        const unique = [...new Set(tags ?? [])]
        if (unique.length > 0)
          await trx
            .insertInto('image_tags')
            .values(unique.map((tag) => ({ image_id: row.id, tag })))
            .execute()
      }),
      () => new Conflict(`Image with identifier ${row.id} already exists!`),
    )
    return reply
      .code(201)
      .header('location', `/v2/images/${row.id}`)
      .send(await viewImage(db, row))
  })

  app.get('/v2/images/:id', { schema: { params: ImageParams } }, async (req) =>
    viewImage(db, await getVisibleImage(db, caller(req), req.params.id)),
  )

  app.delete('/v2/images/:id', { schema: { params: ImageParams } }, async (req, reply) => {
    const ctx = caller(req)
    const row = await getVisibleImage(db, ctx, req.params.id)
    requireOwner(ctx, row)
    if (row.protected) throw new Forbidden(`Image ${row.id} is protected and cannot be deleted.`)
    await db.deleteFrom('images').where('id', '=', row.id).execute()
    // After the row: a reader that still finds the row may briefly find no file (a 204, not junk).
    await deps.store.delete(row.id)
    return reply.code(204).send()
  })
}

type Writable = Partial<{
  protected: boolean
  os_hidden: boolean
  container_format: string | null
  disk_format: string | null
  min_disk: number
  min_ram: number
}>

function pickBase(body: Record<string, unknown>): Writable {
  const keys = ['protected', 'os_hidden', 'container_format', 'disk_format', 'min_disk', 'min_ram']
  return Object.fromEntries(Object.entries(body).filter(([k]) => keys.includes(k)))
}
