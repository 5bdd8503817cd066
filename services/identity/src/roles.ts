import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Conflict, NotFound, hexId, type App } from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import type { IdentityDatabase, RoleRow } from './db.js'
import type { IdentityDeps } from './deps.js'
import {
  Description,
  IdParams,
  Name,
  collectionLinks,
  requireAdmin,
  selfLink,
} from './http-common.js'

const RoleCreate = Type.Object({
  role: Type.Object(
    {
      name: Name(255),
      description: Type.Optional(Description),
      domain_id: Type.Optional(Type.Null()),
    },
    { additionalProperties: true },
  ),
})
const RoleUpdate = Type.Object({
  role: Type.Object(
    { name: Type.Optional(Name(255)), description: Type.Optional(Description) },
    { additionalProperties: true },
  ),
})
const RoleQuery = Type.Object({
  name: Type.Optional(Type.String()),
  domain_id: Type.Optional(Type.String()),
})

export function toRole(req: FastifyRequest, r: RoleRow) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    domain_id: null,
    options: {},
    links: selfLink(req, `roles/${r.id}`),
  }
}

export async function getRole(db: IdentityDatabase, id: string): Promise<RoleRow> {
  const row = await db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find role: ${id}.`)
  return row
}

const duplicate = (name: string) =>
  new Conflict(
    `Conflict occurred attempting to store role - Duplicate entry found with name ${name}.`,
  )

export function roleRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps

  app.get('/v3/roles', { schema: { querystring: RoleQuery } }, async (req) => {
    requireAdmin(req)
    // Roles are global here; a domain-specific listing is empty, as for a Keystone with none.
    if (req.query.domain_id !== undefined) return { roles: [], links: collectionLinks(req) }
    let q = db.selectFrom('roles').selectAll().orderBy('name')
    if (req.query.name !== undefined) q = q.where('name', '=', req.query.name)
    return { roles: (await q.execute()).map((r) => toRole(req, r)), links: collectionLinks(req) }
  })

  app.get('/v3/roles/:id', { schema: { params: IdParams } }, async (req) => {
    requireAdmin(req)
    return { role: toRole(req, await getRole(db, req.params.id)) }
  })

  app.post('/v3/roles', { schema: { body: RoleCreate } }, async (req, reply) => {
    requireAdmin(req)
    const r = req.body.role
    const row: RoleRow = { id: hexId(), name: r.name, description: r.description ?? '' }
    await onUniqueViolation(db.insertInto('roles').values(row).execute(), () => duplicate(r.name))
    return reply.code(201).send({ role: toRole(req, row) })
  })

  app.patch('/v3/roles/:id', { schema: { params: IdParams, body: RoleUpdate } }, async (req) => {
    requireAdmin(req)
    const current = await getRole(db, req.params.id)
    const r = req.body.role
    const next: RoleRow = {
      ...current,
      name: r.name ?? current.name,
      description: r.description === undefined ? current.description : (r.description ?? ''),
    }
    await onUniqueViolation(
      db.updateTable('roles').set(next).where('id', '=', current.id).execute(),
      () => duplicate(next.name),
    )
    return { role: toRole(req, next) }
  })

  app.delete('/v3/roles/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await db.transaction().execute(async (trx) => {
      const role = await getRole(trx, req.params.id)
      const holders = await trx
        .selectFrom('role_assignments')
        .selectAll()
        .where('role_id', '=', role.id)
        .execute()
      const users = new Set<string>()
      for (const a of holders) {
        if (a.actor_type === 'user') users.add(a.actor_id)
        else {
          const members = await trx
            .selectFrom('group_members')
            .select('user_id')
            .where('group_id', '=', a.actor_id)
            .execute()
          for (const m of members) users.add(m.user_id)
        }
      }
      await deps.revocations.record(
        trx,
        [...users].map((userId) => ({ userId })),
      )
      await trx.deleteFrom('role_assignments').where('role_id', '=', role.id).execute()
      await trx.deleteFrom('roles').where('id', '=', role.id).execute()
    })
    await deps.revocations.refresh()
    return reply.code(204).send()
  })
}
