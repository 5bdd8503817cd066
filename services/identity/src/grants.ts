import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { NotFound, type App } from '@tricircle/core'
import type { IdentityDatabase } from './db.js'
import type { IdentityDeps } from './deps.js'
import { collectionLinks, requireAdmin } from './http-common.js'
import { getDomain } from './domains.js'
import { getProject } from './projects.js'
import { getUser } from './users.js'
import { getGroup } from './groups.js'
import { getRole, toRole } from './roles.js'
import { revocationsForAssignment } from './cascade.js'

type TargetType = 'project' | 'domain'
type ActorType = 'user' | 'group'

const GrantParams = Type.Object({
  target: Type.String(),
  actor: Type.String(),
  role: Type.String(),
})
const ListParams = Type.Object({ target: Type.String(), actor: Type.String() })

/**
 * Role grants: `PUT|HEAD|DELETE /v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role}` and
 * the list of roles one actor holds on one target.
 */
export function grantRoutes(app: App, deps: IdentityDeps): void {
  for (const targetType of ['project', 'domain'] as const) {
    for (const actorType of ['user', 'group'] as const) {
      const base = `/v3/${targetType}s/:target/${actorType}s/:actor/roles`
      const where = (req: FastifyRequest<{ Params: { target: string; actor: string } }>) => ({
        target: { type: targetType, id: req.params.target },
        actor: { type: actorType, id: req.params.actor },
      })

      app.get(base, { schema: { params: ListParams } }, async (req) => {
        requireAdmin(req)
        const { target, actor } = where(req)
        await checkExists(deps.db, target, actor)
        const roles = await deps.db
          .selectFrom('roles')
          .selectAll()
          .where('id', 'in', assignments(deps.db, target, actor).select('role_id'))
          .orderBy('name')
          .execute()
        return { roles: roles.map((r) => toRole(req, r)), links: collectionLinks(req) }
      })

      app.put(`${base}/:role`, { schema: { params: GrantParams } }, async (req, reply) => {
        requireAdmin(req)
        const { target, actor } = where(req)
        await checkExists(deps.db, target, actor, req.params.role)
        await deps.db
          .insertInto('role_assignments')
          .values({
            actor_type: actor.type,
            actor_id: actor.id,
            target_type: target.type,
            target_id: target.id,
            role_id: req.params.role,
          })
          .onConflict((oc) => oc.doNothing())
          .execute()
        return reply.code(204).send()
      })

      // GET serves HEAD too: 204 when the grant exists.
      app.get(`${base}/:role`, { schema: { params: GrantParams } }, async (req, reply) => {
        requireAdmin(req)
        const { target, actor } = where(req)
        await checkExists(deps.db, target, actor, req.params.role)
        const found = await assignments(deps.db, target, actor)
          .where('role_id', '=', req.params.role)
          .select('role_id')
          .executeTakeFirst()
        if (!found) throw notGranted(req.params.role, actor, target)
        return reply.code(204).send()
      })

      app.delete(`${base}/:role`, { schema: { params: GrantParams } }, async (req, reply) => {
        requireAdmin(req)
        const { target, actor } = where(req)
        await deps.db.transaction().execute(async (trx) => {
          await checkExists(trx, target, actor, req.params.role)
          const result = await trx
            .deleteFrom('role_assignments')
            .where('actor_type', '=', actor.type)
            .where('actor_id', '=', actor.id)
            .where('target_type', '=', target.type)
            .where('target_id', '=', target.id)
            .where('role_id', '=', req.params.role)
            .executeTakeFirst()
          if (Number(result.numDeletedRows) === 0) throw notGranted(req.params.role, actor, target)
          await deps.revocations.record(trx, await revocationsForAssignment(trx, actor, target))
        })
        await deps.revocations.refresh()
        return reply.code(204).send()
      })
    }
  }
}

function assignments(
  db: IdentityDatabase,
  target: { type: TargetType; id: string },
  actor: { type: ActorType; id: string },
) {
  return db
    .selectFrom('role_assignments')
    .where('actor_type', '=', actor.type)
    .where('actor_id', '=', actor.id)
    .where('target_type', '=', target.type)
    .where('target_id', '=', target.id)
}

async function checkExists(
  db: IdentityDatabase,
  target: { type: TargetType; id: string },
  actor: { type: ActorType; id: string },
  roleId?: string,
): Promise<void> {
  await (target.type === 'project' ? getProject(db, target.id) : getDomain(db, target.id))
  await (actor.type === 'user' ? getUser(db, actor.id) : getGroup(db, actor.id))
  if (roleId !== undefined) await getRole(db, roleId)
}

const notGranted = (
  roleId: string,
  actor: { type: ActorType; id: string },
  target: { type: TargetType; id: string },
) =>
  new NotFound(
    `Could not find role assignment with role: ${roleId}, ${actor.type}: ${actor.id}, ${target.type}: ${target.id}.`,
  )
