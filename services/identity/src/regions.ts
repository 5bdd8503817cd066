import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { BadRequest, Conflict, Forbidden, NotFound, caller, hexId, type App } from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import type { IdentityDatabase, RegionRow } from './db.js'
import type { IdentityDeps } from './deps.js'
import { Description, IdParams, collectionLinks, requireAdmin, selfLink } from './http-common.js'

const RegionFields = {
  description: Type.Optional(Description),
  parent_region_id: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()]),
  ),
}
const RegionCreate = Type.Object({
  region: Type.Object(
    { id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), ...RegionFields },
    { additionalProperties: true },
  ),
})
const RegionUpdate = Type.Object({
  region: Type.Object(RegionFields, { additionalProperties: true }),
})
const RegionQuery = Type.Object({ parent_region_id: Type.Optional(Type.String()) })

export function toRegion(req: FastifyRequest, r: RegionRow) {
  return {
    id: r.id,
    description: r.description,
    parent_region_id: r.parent_region_id,
    links: selfLink(req, `regions/${r.id}`),
  }
}

export async function getRegion(db: IdentityDatabase, id: string): Promise<RegionRow> {
  const row = await db.selectFrom('regions').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find region: ${id}.`)
  return row
}

/** A parent must exist, and following parents from it must never come back to `id`. */
async function checkParent(
  db: IdentityDatabase,
  id: string,
  parentId: string | null,
): Promise<void> {
  for (let at = parentId, hops = 0; at !== null; hops++) {
    if (at === id || hops > 100)
      throw new BadRequest(`Invalid input: region ${id} cannot be its own ancestor.`)
    const parent = await db
      .selectFrom('regions')
      .select('parent_region_id')
      .where('id', '=', at)
      .executeTakeFirst()
    if (!parent) throw new BadRequest(`Invalid input: parent region ${at} does not exist.`)
    at = parent.parent_region_id
  }
}

export function regionRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps

  app.get('/v3/regions', { schema: { querystring: RegionQuery } }, async (req) => {
    caller(req)
    let q = db.selectFrom('regions').selectAll().orderBy('id')
    if (req.query.parent_region_id !== undefined)
      q = q.where('parent_region_id', '=', req.query.parent_region_id)
    return {
      regions: (await q.execute()).map((r) => toRegion(req, r)),
      links: collectionLinks(req),
    }
  })

  app.get('/v3/regions/:id', { schema: { params: IdParams } }, async (req) => {
    caller(req)
    return { region: toRegion(req, await getRegion(db, req.params.id)) }
  })

  const create = async (
    req: FastifyRequest,
    id: string,
    body: { description?: string | null; parent_region_id?: string | null },
  ) => {
    requireAdmin(req)
    const row: RegionRow = {
      id,
      description: body.description ?? '',
      parent_region_id: body.parent_region_id ?? null,
    }
    await checkParent(db, id, row.parent_region_id)
    await onUniqueViolation(
      db.insertInto('regions').values(row).execute(),
      () => new Conflict(`Conflict occurred attempting to store region - Duplicate ID, ${id}.`),
    )
    return { region: toRegion(req, row) }
  }

  app.post('/v3/regions', { schema: { body: RegionCreate } }, async (req, reply) =>
    reply.code(201).send(await create(req, req.body.region.id ?? hexId(), req.body.region)),
  )

  // Keystone also creates a region at a chosen id with PUT.
  app.put(
    '/v3/regions/:id',
    { schema: { params: IdParams, body: RegionCreate } },
    async (req, reply) => {
      if (req.body.region.id !== undefined && req.body.region.id !== req.params.id) {
        throw new BadRequest('The region id in the body does not match the URL.')
      }
      return reply.code(201).send(await create(req, req.params.id, req.body.region))
    },
  )

  app.patch(
    '/v3/regions/:id',
    { schema: { params: IdParams, body: RegionUpdate } },
    async (req) => {
      requireAdmin(req)
      const current = await getRegion(db, req.params.id)
      const r = req.body.region
      if ('id' in r) throw new BadRequest('The id of a region cannot change.')
      const next: RegionRow = {
        ...current,
        description: r.description === undefined ? current.description : (r.description ?? ''),
        parent_region_id:
          r.parent_region_id === undefined ? current.parent_region_id : r.parent_region_id,
      }
      await checkParent(db, current.id, next.parent_region_id)
      await db.updateTable('regions').set(next).where('id', '=', current.id).execute()
      return { region: toRegion(req, next) }
    },
  )

  app.delete('/v3/regions/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    const row = await getRegion(db, req.params.id)
    const child = await db
      .selectFrom('regions')
      .select('id')
      .where('parent_region_id', '=', row.id)
      .executeTakeFirst()
    if (child) throw new Forbidden(`Cannot delete region ${row.id}: it has child regions.`)
    const endpoint = await db
      .selectFrom('endpoints')
      .select('id')
      .where('region_id', '=', row.id)
      .executeTakeFirst()
    if (endpoint)
      throw new Forbidden(`Cannot delete region ${row.id}: endpoints are still registered in it.`)
    await db.deleteFrom('regions').where('id', '=', row.id).execute()
    return reply.code(204).send()
  })
}
