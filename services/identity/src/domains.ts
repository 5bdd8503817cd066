import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Conflict, Forbidden, NotFound, caller, hexId, isAdmin, type App } from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import type { DomainRow, IdentityDatabase } from './db.js'
import type { IdentityDeps } from './deps.js'
import {
  Description,
  Enabled,
  IdParams,
  Name,
  collectionLinks,
  flag,
  forbidden,
  parseExtra,
  pickExtra,
  mergeExtra,
  requireAdmin,
  selfLink,
} from './http-common.js'
import { revocationsForDomain } from './cascade.js'

const KNOWN = ['id', 'name', 'description', 'enabled', 'links', 'tags', 'options']

const DomainCreate = Type.Object({
  domain: Type.Object(
    {
      id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      name: Name(64),
      description: Type.Optional(Description),
      enabled: Type.Optional(Enabled),
    },
    { additionalProperties: true },
  ),
})
const DomainUpdate = Type.Object({
  domain: Type.Object(
    {
      name: Type.Optional(Name(64)),
      description: Type.Optional(Description),
      enabled: Type.Optional(Enabled),
    },
    { additionalProperties: true },
  ),
})
const DomainQuery = Type.Object({
  name: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
})

export function toDomain(req: FastifyRequest, r: DomainRow) {
  return {
    ...parseExtra(r.extra),
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: Boolean(r.enabled),
    tags: [],
    options: {},
    links: selfLink(req, `domains/${r.id}`),
  }
}

export async function getDomain(db: IdentityDatabase, id: string): Promise<DomainRow> {
  const row = await db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find domain: ${id}.`)
  return row
}

const duplicate = (name: string) =>
  new Conflict(
    `Conflict occurred attempting to store domain - Duplicate entry found with name ${name}.`,
  )

export function domainRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps

  app.get('/v3/domains', { schema: { querystring: DomainQuery } }, async (req) => {
    requireAdmin(req)
    let q = db.selectFrom('domains').selectAll().orderBy('name')
    if (req.query.name !== undefined) q = q.where('name', '=', req.query.name)
    if (req.query.enabled !== undefined) q = q.where('enabled', '=', flag(req.query.enabled))
    return {
      domains: (await q.execute()).map((r) => toDomain(req, r)),
      links: collectionLinks(req),
    }
  })

  app.get('/v3/domains/:id', { schema: { params: IdParams } }, async (req) => {
    const ctx = caller(req)
    // Authorized before the lookup, as Keystone enforces it: a non-admin gets the same 403 for
    // another domain whether it exists or not.
    if (!isAdmin(ctx) && ctx.domainId !== req.params.id) {
      const own = ctx.projectId
        ? await db
            .selectFrom('projects')
            .select('domain_id')
            .where('id', '=', ctx.projectId)
            .executeTakeFirst()
        : undefined
      if (own?.domain_id !== req.params.id) throw forbidden()
    }
    return { domain: toDomain(req, await getDomain(db, req.params.id)) }
  })

  app.post('/v3/domains', { schema: { body: DomainCreate } }, async (req, reply) => {
    requireAdmin(req)
    const d = req.body.domain
    const row: DomainRow = {
      id: d.id ?? hexId(),
      name: d.name,
      description: d.description ?? '',
      enabled: flag(d.enabled),
      extra: pickExtra(d, KNOWN),
    }
    await onUniqueViolation(db.insertInto('domains').values(row).execute(), () => duplicate(d.name))
    return reply.code(201).send({ domain: toDomain(req, row) })
  })

  app.patch(
    '/v3/domains/:id',
    { schema: { params: IdParams, body: DomainUpdate } },
    async (req) => {
      requireAdmin(req)
      const d = req.body.domain
      const row = await db.transaction().execute(async (trx) => {
        const current = await getDomain(trx, req.params.id)
        const next: DomainRow = {
          ...current,
          name: d.name ?? current.name,
          description: d.description === undefined ? current.description : (d.description ?? ''),
          enabled: d.enabled === undefined ? current.enabled : flag(d.enabled),
          extra: mergeExtra(current.extra, d, KNOWN),
        }
        await onUniqueViolation(
          trx.updateTable('domains').set(next).where('id', '=', current.id).execute(),
          () => duplicate(next.name),
        )
        if (current.enabled && !next.enabled)
          await deps.revocations.record(trx, await revocationsForDomain(trx, current.id))
        return next
      })
      await deps.revocations.refresh()
      return { domain: toDomain(req, row) }
    },
  )

  app.delete('/v3/domains/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await db.transaction().execute(async (trx) => {
      const row = await getDomain(trx, req.params.id)
      if (row.enabled)
        throw new Forbidden('Cannot delete a domain that is enabled, please disable it first.')
      await deps.revocations.record(trx, await revocationsForDomain(trx, row.id))
      const projects = trx.selectFrom('projects').select('id').where('domain_id', '=', row.id)
      const users = trx.selectFrom('users').select('id').where('domain_id', '=', row.id)
      const groups = trx.selectFrom('groups').select('id').where('domain_id', '=', row.id)
      await trx
        .deleteFrom('role_assignments')
        .where((eb) =>
          eb.or([
            eb.and([eb('target_type', '=', 'domain'), eb('target_id', '=', row.id)]),
            eb.and([eb('target_type', '=', 'project'), eb('target_id', 'in', projects)]),
            eb.and([eb('actor_type', '=', 'user'), eb('actor_id', 'in', users)]),
            eb.and([eb('actor_type', '=', 'group'), eb('actor_id', 'in', groups)]),
          ]),
        )
        .execute()
      await trx.deleteFrom('groups').where('domain_id', '=', row.id).execute()
      await trx.deleteFrom('users').where('domain_id', '=', row.id).execute()
      // Children first: parent_id references another project of the same domain.
      const ids = (await projects.execute()).map((p) => p.id)
      await trx
        .updateTable('projects')
        .set({ parent_id: null })
        .where('domain_id', '=', row.id)
        .execute()
      if (ids.length) await trx.deleteFrom('projects').where('id', 'in', ids).execute()
      await trx.deleteFrom('domains').where('id', '=', row.id).execute()
    })
    await deps.revocations.refresh()
    return reply.code(204).send()
  })
}
