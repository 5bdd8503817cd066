import { Type } from 'typebox'
import {
  Conflict,
  Forbidden,
  NotFound,
  PayloadTooLarge,
  caller,
  isAdmin,
  isoSeconds,
  type App,
  type AuthContext,
} from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import { getVisibleImage, isOwner, requireOwner } from './access.js'
import type { ImageDatabase, ImageRow, MemberRow } from './db.js'
import type { ImageDeps } from './deps.js'
import { MAX_MEMBERS } from './image-view.js'

const MemberParams = Type.Object({
  id: Type.String({ maxLength: 255 }),
  member: Type.String({ minLength: 1, maxLength: 255 }),
})
const ImageIdParams = Type.Object({ id: Type.String({ maxLength: 255 }) })
const MemberCreate = Type.Object(
  { member: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
)
const MemberUpdate = Type.Object({
  status: Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('rejected')]),
})

function toMember(r: MemberRow) {
  return {
    image_id: r.image_id,
    member_id: r.member_id,
    status: r.status,
    created_at: isoSeconds(Date.parse(r.created_at)),
    updated_at: isoSeconds(Date.parse(r.updated_at)),
    schema: '/v2/schemas/member',
  }
}

/**
 * Image members, Glance's sharing: the owner adds projects to a `shared` image; each member
 * accepts or rejects it for itself (accepted images appear in its default list). The owner sees
 * every member; a member sees only its own membership.
 */
export function imageMemberRoutes(app: App, deps: ImageDeps): void {
  const { db } = deps

  app.get('/v2/images/:id/members', { schema: { params: ImageIdParams } }, async (req) => {
    const ctx = caller(req)
    const row = await sharedImage(db, ctx, req.params.id)
    let q = db.selectFrom('image_members').selectAll().where('image_id', '=', row.id)
    if (!isOwner(ctx, row)) q = q.where('member_id', '=', ctx.projectId ?? '')
    const rows = await q.orderBy('created_at').orderBy('member_id').execute()
    return { members: rows.map(toMember), schema: '/v2/schemas/members' }
  })

  app.post(
    '/v2/images/:id/members',
    { schema: { params: ImageIdParams, body: MemberCreate } },
    async (req) => {
      const ctx = caller(req)
      const row = await sharedImage(db, ctx, req.params.id)
      requireOwner(ctx, row)
      const now = new Date(deps.clock.now()).toISOString()
      const member: MemberRow = {
        image_id: row.id,
        member_id: req.body.member,
        status: 'pending',
        created_at: now,
        updated_at: now,
      }
      await onUniqueViolation(
        db.transaction().execute(async (trx) => {
          const { count } = await trx
            .selectFrom('image_members')
            .select((eb) => eb.fn.countAll<number | string>().as('count'))
            .where('image_id', '=', row.id)
            .executeTakeFirstOrThrow()
          if (Number(count) >= MAX_MEMBERS)
            throw new PayloadTooLarge(`Maximum number of image members (${MAX_MEMBERS}) exceeded.`)
          await trx.insertInto('image_members').values(member).execute()
        }),
        () => new Conflict(`Member ${member.member_id} is duplicated for image ${row.id}.`),
      )
      return toMember(member)
    },
  )

  app.get('/v2/images/:id/members/:member', { schema: { params: MemberParams } }, async (req) => {
    const ctx = caller(req)
    const row = await sharedImage(db, ctx, req.params.id)
    if (!isOwner(ctx, row) && ctx.projectId !== req.params.member)
      throw memberNotFound(req.params.member)
    return toMember(await getMember(db, row.id, req.params.member))
  })

  app.put(
    '/v2/images/:id/members/:member',
    { schema: { params: MemberParams, body: MemberUpdate } },
    async (req) => {
      const ctx = caller(req)
      const row = await sharedImage(db, ctx, req.params.id)
      // Another member's membership does not exist for a member (Glance's member repository
      // hides it): a 403 here would tell them who else the image is shared with.
      if (!isOwner(ctx, row) && ctx.projectId !== req.params.member)
        throw memberNotFound(req.params.member)
      const current = await getMember(db, row.id, req.params.member)
      // Only the member decides whether it wants the image, not the owner.
      if (ctx.projectId !== current.member_id && !isAdmin(ctx))
        throw new Forbidden('You are not permitted to modify the status of this member.')
      const updated = {
        ...current,
        status: req.body.status,
        updated_at: new Date(deps.clock.now()).toISOString(),
      }
      await db
        .updateTable('image_members')
        .set({ status: updated.status, updated_at: updated.updated_at })
        .where('image_id', '=', row.id)
        .where('member_id', '=', current.member_id)
        .execute()
      return toMember(updated)
    },
  )

  app.delete(
    '/v2/images/:id/members/:member',
    { schema: { params: MemberParams } },
    async (req, reply) => {
      const ctx = caller(req)
      const row = await sharedImage(db, ctx, req.params.id)
      requireOwner(ctx, row)
      const result = await db
        .deleteFrom('image_members')
        .where('image_id', '=', row.id)
        .where('member_id', '=', req.params.member)
        .executeTakeFirst()
      if (result.numDeletedRows === 0n) throw memberNotFound(req.params.member)
      return reply.code(204).send()
    },
  )
}

/** A visible image that can have members: Glance refuses members on any other visibility. */
async function sharedImage(db: ImageDatabase, ctx: AuthContext, id: string): Promise<ImageRow> {
  const row = await getVisibleImage(db, ctx, id)
  if (row.visibility !== 'shared') throw new Forbidden('Only shared images have members.')
  return row
}

const memberNotFound = (member: string) =>
  new NotFound(`Member ${member} not found for this image.`)

async function getMember(db: ImageDatabase, imageId: string, memberId: string) {
  const row = await db
    .selectFrom('image_members')
    .selectAll()
    .where('image_id', '=', imageId)
    .where('member_id', '=', memberId)
    .executeTakeFirst()
  if (!row) throw memberNotFound(memberId)
  return row
}
