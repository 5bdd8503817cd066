import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { NotFound, hexId, type App } from '@tricircle/core'
import type { IdentityDatabase, ServiceRow } from './db.js'
import type { IdentityDeps } from './deps.js'
import {
  Description,
  Enabled,
  IdParams,
  collectionLinks,
  flag,
  requireAdmin,
  selfLink,
} from './http-common.js'

const ServiceType = Type.String({ minLength: 1, maxLength: 255 })
const ServiceCreate = Type.Object({
  service: Type.Object(
    {
      type: ServiceType,
      name: Type.Optional(Type.String({ maxLength: 255 })),
      description: Type.Optional(Description),
      enabled: Type.Optional(Enabled),
    },
    { additionalProperties: true },
  ),
})
const ServiceUpdate = Type.Object({
  service: Type.Object(
    {
      type: Type.Optional(ServiceType),
      name: Type.Optional(Type.String({ maxLength: 255 })),
      description: Type.Optional(Description),
      enabled: Type.Optional(Enabled),
    },
    { additionalProperties: true },
  ),
})
const ServiceQuery = Type.Object({
  type: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
})

export function toService(req: FastifyRequest, r: ServiceRow) {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    description: r.description,
    enabled: Boolean(r.enabled),
    links: selfLink(req, `services/${r.id}`),
  }
}

export async function getService(db: IdentityDatabase, id: string): Promise<ServiceRow> {
  const row = await db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find service: ${id}.`)
  return row
}

/** Catalog services (`/v3/services`): what kinds of service the cloud offers. */
export function serviceRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps

  app.get('/v3/services', { schema: { querystring: ServiceQuery } }, async (req) => {
    requireAdmin(req)
    let q = db.selectFrom('services').selectAll().orderBy('type').orderBy('name')
    if (req.query.type !== undefined) q = q.where('type', '=', req.query.type)
    if (req.query.name !== undefined) q = q.where('name', '=', req.query.name)
    return {
      services: (await q.execute()).map((r) => toService(req, r)),
      links: collectionLinks(req),
    }
  })

  app.get('/v3/services/:id', { schema: { params: IdParams } }, async (req) => {
    requireAdmin(req)
    return { service: toService(req, await getService(db, req.params.id)) }
  })

  app.post('/v3/services', { schema: { body: ServiceCreate } }, async (req, reply) => {
    requireAdmin(req)
    const s = req.body.service
    const row: ServiceRow = {
      id: hexId(),
      type: s.type,
      name: s.name ?? '',
      description: s.description ?? '',
      enabled: flag(s.enabled),
    }
    await db.insertInto('services').values(row).execute()
    return reply.code(201).send({ service: toService(req, row) })
  })

  app.patch(
    '/v3/services/:id',
    { schema: { params: IdParams, body: ServiceUpdate } },
    async (req) => {
      requireAdmin(req)
      const current = await getService(db, req.params.id)
      const s = req.body.service
      const next: ServiceRow = {
        ...current,
        type: s.type ?? current.type,
        name: s.name ?? current.name,
        description: s.description === undefined ? current.description : (s.description ?? ''),
        enabled: s.enabled === undefined ? current.enabled : flag(s.enabled),
      }
      await db.updateTable('services').set(next).where('id', '=', current.id).execute()
      return { service: toService(req, next) }
    },
  )

  app.delete('/v3/services/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await getService(db, req.params.id)
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('endpoints').where('service_id', '=', req.params.id).execute()
      await trx.deleteFrom('services').where('id', '=', req.params.id).execute()
    })
    return reply.code(204).send()
  })
}
