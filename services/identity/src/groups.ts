import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { BadRequest, Conflict, NotFound, hexId, type App } from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import type { GroupRow, IdentityDatabase } from './db.js'
import type { IdentityDeps } from './deps.js'
import {
  Description,
  IdParams,
  Name,
  collectionLinks,
  requireAdmin,
  selfLink,
} from './http-common.js'
import { getDomain } from './domains.js'
import { scopeDomainId } from './scope-domain.js'
import { getUser, toUser } from './users.js'

const GroupCreate = Type.Object({
  group: Type.Object({
    name: Name(64),
    domain_id: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Description),
  }),
})
const GroupUpdate = Type.Object({
  group: Type.Object({ name: Type.Optional(Name(64)), description: Type.Optional(Description) }),
})
const GroupQuery = Type.Object({
  name: Type.Optional(Type.String()),
  domain_id: Type.Optional(Type.String()),
})
const MemberParams = Type.Object({ id: Type.String(), userId: Type.String() })

export function toGroup(req: FastifyRequest, r: GroupRow) {
  return {
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    description: r.description,
    links: selfLink(req, `groups/${r.id}`),
  }
}

export async function getGroup(db: IdentityDatabase, id: string): Promise<GroupRow> {
  const row = await db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find group: ${id}.`)
  return row
}

const duplicate = (name: string, domainId: string) =>
  new Conflict(
    `Conflict occurred attempting to store group - Duplicate entry found with name ${name} at domain ID ${domainId}.`,
  )

export function groupRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps

  app.get('/v3/groups', { schema: { querystring: GroupQuery } }, async (req) => {
    requireAdmin(req)
    let q = db.selectFrom('groups').selectAll().orderBy('name')
    if (req.query.name !== undefined) q = q.where('name', '=', req.query.name)
    if (req.query.domain_id !== undefined) q = q.where('domain_id', '=', req.query.domain_id)
    return { groups: (await q.execute()).map((r) => toGroup(req, r)), links: collectionLinks(req) }
  })

  app.get('/v3/groups/:id', { schema: { params: IdParams } }, async (req) => {
    requireAdmin(req)
    return { group: toGroup(req, await getGroup(db, req.params.id)) }
  })

  app.post('/v3/groups', { schema: { body: GroupCreate } }, async (req, reply) => {
    const ctx = requireAdmin(req)
    const g = req.body.group
    const domainId = g.domain_id ?? (await scopeDomainId(db, ctx))
    await getDomain(db, domainId).catch(() => {
      throw new BadRequest(`Invalid input: domain ${domainId} does not exist.`)
    })
    const row: GroupRow = {
      id: hexId(),
      name: g.name,
      domain_id: domainId,
      description: g.description ?? '',
    }
    await onUniqueViolation(db.insertInto('groups').values(row).execute(), () =>
      duplicate(g.name, domainId),
    )
    return reply.code(201).send({ group: toGroup(req, row) })
  })

  app.patch('/v3/groups/:id', { schema: { params: IdParams, body: GroupUpdate } }, async (req) => {
    requireAdmin(req)
    const current = await getGroup(db, req.params.id)
    const g = req.body.group
    const next: GroupRow = {
      ...current,
      name: g.name ?? current.name,
      description: g.description === undefined ? current.description : (g.description ?? ''),
    }
    await onUniqueViolation(
      db.updateTable('groups').set(next).where('id', '=', current.id).execute(),
      () => duplicate(next.name, current.domain_id),
    )
    return { group: toGroup(req, next) }
  })

  app.delete('/v3/groups/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await db.transaction().execute(async (trx) => {
      const row = await getGroup(trx, req.params.id)
      const members = await trx
        .selectFrom('group_members')
        .select('user_id')
        .where('group_id', '=', row.id)
        .execute()
      await deps.revocations.record(
        trx,
        members.map((m) => ({ userId: m.user_id })),
      )
      await trx
        .deleteFrom('role_assignments')
        .where('actor_type', '=', 'group')
        .where('actor_id', '=', row.id)
        .execute()
      await trx.deleteFrom('group_members').where('group_id', '=', row.id).execute()
      await trx.deleteFrom('groups').where('id', '=', row.id).execute()
    })
    await deps.revocations.refresh()
    return reply.code(204).send()
  })

  app.get('/v3/groups/:id/users', { schema: { params: IdParams } }, async (req) => {
    requireAdmin(req)
    await getGroup(db, req.params.id)
    const rows = await db
      .selectFrom('users')
      .selectAll()
      .where(
        'id',
        'in',
        db.selectFrom('group_members').select('user_id').where('group_id', '=', req.params.id),
      )
      .orderBy('name')
      .execute()
    return { users: rows.map((r) => toUser(req, r)), links: collectionLinks(req) }
  })

  app.put(
    '/v3/groups/:id/users/:userId',
    { schema: { params: MemberParams } },
    async (req, reply) => {
      requireAdmin(req)
      await getGroup(db, req.params.id)
      await getUser(db, req.params.userId)
      await db
        .insertInto('group_members')
        .values({ group_id: req.params.id, user_id: req.params.userId })
        .onConflict((oc) => oc.doNothing())
        .execute()
      return reply.code(204).send()
    },
  )

  // GET serves HEAD too: 204 when the user is a member, 404 otherwise.
  app.get(
    '/v3/groups/:id/users/:userId',
    { schema: { params: MemberParams } },
    async (req, reply) => {
      requireAdmin(req)
      await membership(db, req.params.id, req.params.userId)
      return reply.code(204).send()
    },
  )

  app.delete(
    '/v3/groups/:id/users/:userId',
    { schema: { params: MemberParams } },
    async (req, reply) => {
      requireAdmin(req)
      await db.transaction().execute(async (trx) => {
        await membership(trx, req.params.id, req.params.userId)
        await trx
          .deleteFrom('group_members')
          .where('group_id', '=', req.params.id)
          .where('user_id', '=', req.params.userId)
          .execute()
        await deps.revocations.record(trx, [{ userId: req.params.userId }])
      })
      await deps.revocations.refresh()
      return reply.code(204).send()
    },
  )
}

async function membership(db: IdentityDatabase, groupId: string, userId: string): Promise<void> {
  await getGroup(db, groupId)
  await getUser(db, userId)
  const row = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (!row) throw new NotFound(`User ${userId} is not a member of group ${groupId}.`)
}
