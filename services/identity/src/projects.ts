import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  BadRequest,
  Conflict,
  Forbidden,
  NotFound,
  caller,
  hexId,
  isAdmin,
  type App,
} from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import type { IdentityDatabase, ProjectRow } from './db.js'
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
import { getDomain } from './domains.js'
import { scopeDomainId } from './scope-domain.js'

const KNOWN = [
  'id',
  'name',
  'domain_id',
  'parent_id',
  'description',
  'enabled',
  'tags',
  'is_domain',
  'links',
  'options',
]
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^,/]*$' }), {
  maxItems: 80,
})

const ProjectCreate = Type.Object({
  project: Type.Object(
    {
      name: Name(64),
      domain_id: Type.Optional(Type.String({ minLength: 1 })),
      parent_id: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
      description: Type.Optional(Description),
      enabled: Type.Optional(Enabled),
      is_domain: Type.Optional(Type.Literal(false)),
      tags: Type.Optional(Tags),
    },
    { additionalProperties: true },
  ),
})
const ProjectUpdate = Type.Object({
  project: Type.Object(
    {
      name: Type.Optional(Name(64)),
      description: Type.Optional(Description),
      enabled: Type.Optional(Enabled),
      tags: Type.Optional(Tags),
    },
    { additionalProperties: true },
  ),
})
const ProjectQuery = Type.Object({
  name: Type.Optional(Type.String()),
  domain_id: Type.Optional(Type.String()),
  parent_id: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
  is_domain: Type.Optional(Type.Boolean()),
})

export function toProject(req: FastifyRequest, r: ProjectRow) {
  return {
    ...parseExtra(r.extra),
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    description: r.description,
    enabled: Boolean(r.enabled),
    parent_id: r.parent_id ?? r.domain_id,
    is_domain: false,
    tags: JSON.parse(r.tags) as string[],
    options: {},
    links: selfLink(req, `projects/${r.id}`),
  }
}

export async function getProject(db: IdentityDatabase, id: string): Promise<ProjectRow> {
  const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find project: ${id}.`)
  return row
}

const duplicate = (name: string, domainId: string) =>
  new Conflict(
    `Conflict occurred attempting to store project - Duplicate entry found with name ${name} at domain ID ${domainId}.`,
  )

export function projectRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps

  app.get('/v3/projects', { schema: { querystring: ProjectQuery } }, async (req) => {
    requireAdmin(req)
    const f = req.query
    if (f.is_domain === true) return { projects: [], links: collectionLinks(req) }
    let q = db.selectFrom('projects').selectAll().orderBy('name')
    if (f.name !== undefined) q = q.where('name', '=', f.name)
    if (f.domain_id !== undefined) q = q.where('domain_id', '=', f.domain_id)
    if (f.enabled !== undefined) q = q.where('enabled', '=', flag(f.enabled))
    if (f.parent_id !== undefined) {
      const parent = f.parent_id
      q = q.where((eb) =>
        eb.or([
          eb('parent_id', '=', parent),
          eb.and([eb('parent_id', 'is', null), eb('domain_id', '=', parent)]),
        ]),
      )
    }
    return {
      projects: (await q.execute()).map((r) => toProject(req, r)),
      links: collectionLinks(req),
    }
  })

  app.get('/v3/projects/:id', { schema: { params: IdParams } }, async (req) => {
    const ctx = caller(req)
    // Authorized before the lookup, as Keystone enforces it: a non-admin gets the same 403 for
    // another project whether it exists or not, so project ids cannot be probed.
    if (!isAdmin(ctx) && ctx.projectId !== req.params.id) throw forbidden()
    return { project: toProject(req, await getProject(db, req.params.id)) }
  })

  app.post('/v3/projects', { schema: { body: ProjectCreate } }, async (req, reply) => {
    const ctx = requireAdmin(req)
    const p = req.body.project
    let domainId = p.domain_id ?? (await scopeDomainId(db, ctx))
    const parentId = p.parent_id ?? null
    if (parentId) {
      const parent = await db
        .selectFrom('projects')
        .select('domain_id')
        .where('id', '=', parentId)
        .executeTakeFirst()
      // A top-level project's parent is its domain, as Keystone lists it; accept that form too.
      const isDomain =
        !parent &&
        (await db.selectFrom('domains').select('id').where('id', '=', parentId).executeTakeFirst())
      if (!parent && !isDomain)
        throw new BadRequest(`Invalid input: parent project ${parentId} does not exist.`)
      const parentDomain = parent?.domain_id ?? parentId
      if (p.domain_id && parentDomain !== p.domain_id)
        throw new BadRequest('Cannot create a project under a parent in another domain.')
      domainId = parentDomain
    }
    await getDomain(db, domainId).catch(() => {
      throw new BadRequest(`Invalid input: domain ${domainId} does not exist.`)
    })
    const row: ProjectRow = {
      id: hexId(),
      name: p.name,
      domain_id: domainId,
      parent_id: parentId === domainId ? null : parentId,
      description: p.description ?? '',
      enabled: flag(p.enabled),
      tags: JSON.stringify([...new Set(p.tags ?? [])]),
      extra: pickExtra(p, KNOWN),
    }
    await onUniqueViolation(db.insertInto('projects').values(row).execute(), () =>
      duplicate(p.name, domainId),
    )
    return reply.code(201).send({ project: toProject(req, row) })
  })

  app.patch(
    '/v3/projects/:id',
    { schema: { params: IdParams, body: ProjectUpdate } },
    async (req) => {
      requireAdmin(req)
      const p = req.body.project
      if ('domain_id' in p || 'parent_id' in p)
        throw new BadRequest('Cannot change the domain or parent of a project.')
      const row = await db.transaction().execute(async (trx) => {
        const current = await getProject(trx, req.params.id)
        const next: ProjectRow = {
          ...current,
          name: p.name ?? current.name,
          description: p.description === undefined ? current.description : (p.description ?? ''),
          enabled: p.enabled === undefined ? current.enabled : flag(p.enabled),
          tags: p.tags ? JSON.stringify([...new Set(p.tags)]) : current.tags,
          extra: mergeExtra(current.extra, p, KNOWN),
        }
        await onUniqueViolation(
          trx.updateTable('projects').set(next).where('id', '=', current.id).execute(),
          () => duplicate(next.name, current.domain_id),
        )
        if (current.enabled && !next.enabled)
          await deps.revocations.record(trx, [{ projectId: current.id }])
        return next
      })
      await deps.revocations.refresh()
      return { project: toProject(req, row) }
    },
  )

  app.delete('/v3/projects/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await db.transaction().execute(async (trx) => {
      const row = await getProject(trx, req.params.id)
      const child = await trx
        .selectFrom('projects')
        .select('id')
        .where('parent_id', '=', row.id)
        .executeTakeFirst()
      if (child) throw new Forbidden(`Cannot delete project ${row.id}: it has child projects.`)
      await deps.revocations.record(trx, [{ projectId: row.id }])
      await trx
        .deleteFrom('role_assignments')
        .where('target_type', '=', 'project')
        .where('target_id', '=', row.id)
        .execute()
      await trx
        .updateTable('users')
        .set({ default_project_id: null })
        .where('default_project_id', '=', row.id)
        .execute()
      await trx.deleteFrom('projects').where('id', '=', row.id).execute()
    })
    await deps.revocations.refresh()
    return reply.code(204).send()
  })
}
