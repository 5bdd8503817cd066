import { Forbidden, NotFound, hasRole, isAdmin, type AuthContext } from '@tricircle/core'
import type { ExpressionBuilder } from '@tricircle/store'
import type { ImageDatabase, ImageDb, ImageRow, MemberStatus } from './db.js'

/**
 * Who sees and changes which image, as in Glance:
 * - admins see and change everything;
 * - an image's owner (the project that created it) sees and changes it;
 * - `public` and `community` images are visible to all;
 * - a `shared` image is visible to projects added as its members (whatever their status; the
 *   default list shows only the ones they accepted);
 * - anything else does not exist for the caller: 404, never 403, so ids of other projects'
 *   private images do not leak.
 */
export const imageNotFound = (id: string) => new NotFound(`No image found with ID ${id}`)

export async function getVisibleImage(
  db: ImageDatabase,
  ctx: AuthContext,
  id: string,
): Promise<ImageRow> {
  const row = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !(await canSee(db, ctx, row))) throw imageNotFound(id)
  return row
}

async function canSee(db: ImageDatabase, ctx: AuthContext, row: ImageRow): Promise<boolean> {
  if (isAdmin(ctx) || row.owner === ctx.projectId) return true
  if (row.visibility === 'public' || row.visibility === 'community') return true
  if (row.visibility !== 'shared' || !ctx.projectId) return false
  const member = await db
    .selectFrom('image_members')
    .select('status')
    .where('image_id', '=', row.id)
    .where('member_id', '=', ctx.projectId)
    .executeTakeFirst()
  return member !== undefined
}

export const isOwner = (ctx: AuthContext, row: ImageRow): boolean =>
  isAdmin(ctx) || (row.owner === ctx.projectId && hasRole(ctx, 'member'))

/** Changing an image (data, properties, tags, members, deletion) is for its owner or an admin. */
export function requireOwner(ctx: AuthContext, row: ImageRow): void {
  if (!isOwner(ctx, row)) throw new Forbidden('You are not authorized to complete this action.')
}

/** The project a new image belongs to: the caller's, which must be a project-scoped member. */
export function creatorProject(ctx: AuthContext): string {
  if (!ctx.projectId || !hasRole(ctx, 'member'))
    throw new Forbidden('You are not authorized to complete this action.')
  return ctx.projectId
}

export type MemberStatusFilter = MemberStatus | 'all'

/**
 * The list's visibility clause: own and public images, shared images whose membership for the
 * caller has `memberStatus`, and — only when asked for by `visibility=community|all` — others'
 * community images. Admins are not restricted.
 */
export function visibleTo(
  ctx: AuthContext,
  options: { visibility: string | undefined; memberStatus: MemberStatusFilter },
) {
  return (eb: ExpressionBuilder<ImageDb, 'images'>) => {
    const project = ctx.projectId ?? ''
    const communityAsked = options.visibility === 'community' || options.visibility === 'all'
    const notOthersCommunity = eb.or([
      eb('images.visibility', '!=', 'community'),
      eb('images.owner', '=', project),
    ])
    if (isAdmin(ctx)) return communityAsked ? eb.lit(true) : notOthersCommunity
    let membership = eb
      .selectFrom('image_members')
      .select('image_members.image_id')
      .where('image_members.member_id', '=', project)
    if (options.memberStatus !== 'all')
      membership = membership.where('image_members.status', '=', options.memberStatus)
    const seen = [
      eb('images.owner', '=', project),
      eb('images.visibility', '=', 'public'),
      eb.and([eb('images.visibility', '=', 'shared'), eb('images.id', 'in', membership)]),
    ]
    if (communityAsked) seen.push(eb('images.visibility', '=', 'community'))
    return eb.or(seen)
  }
}
