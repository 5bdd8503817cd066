import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { BadRequest, NotFound, hexId, type App } from '@tricircle/core'
import type { EndpointRow, IdentityDatabase } from './db.js'
import type { IdentityDeps } from './deps.js'
import { Enabled, IdParams, collectionLinks, flag, requireAdmin, selfLink } from './http-common.js'
import { getService } from './services.js'
import { getRegion } from './regions.js'

const Interface = Type.Union([
  Type.Literal('public'),
  Type.Literal('internal'),
  Type.Literal('admin'),
])
const Url = Type.String({ minLength: 1, maxLength: 1024, pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://' })
const RegionRef = Type.Optional(
  Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()]),
)
const EndpointCreate = Type.Object({
  endpoint: Type.Object(
    {
      service_id: Type.String({ minLength: 1 }),
      interface: Interface,
      url: Url,
      region_id: RegionRef,
      region: RegionRef,
      enabled: Type.Optional(Enabled),
    },
    { additionalProperties: true },
  ),
})
const EndpointUpdate = Type.Object({
  endpoint: Type.Object(
    {
      service_id: Type.Optional(Type.String({ minLength: 1 })),
      interface: Type.Optional(Interface),
      url: Type.Optional(Url),
      region_id: RegionRef,
      region: RegionRef,
      enabled: Type.Optional(Enabled),
    },
    { additionalProperties: true },
  ),
})
const EndpointQuery = Type.Object({
  interface: Type.Optional(Type.String()),
  service_id: Type.Optional(Type.String()),
  region_id: Type.Optional(Type.String()),
})

export function toEndpoint(req: FastifyRequest, r: EndpointRow) {
  return {
    id: r.id,
    service_id: r.service_id,
    interface: r.interface,
    url: r.url,
    region_id: r.region_id,
    region: r.region_id,
    enabled: Boolean(r.enabled),
    links: selfLink(req, `endpoints/${r.id}`),
  }
}

async function getEndpoint(db: IdentityDatabase, id: string): Promise<EndpointRow> {
  const row = await db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`Could not find endpoint: ${id}.`)
  return row
}

/** Where each service answers, per region and interface: the catalog's rows. */
export function endpointRoutes(app: App, deps: IdentityDeps): void {
  const { db } = deps
  const checkRefs = async (serviceId: string, regionId: string | null) => {
    await getService(db, serviceId).catch(() => {
      throw new BadRequest(`Invalid input: service ${serviceId} does not exist.`)
    })
    if (regionId !== null) {
      await getRegion(db, regionId).catch(() => {
        throw new BadRequest(`Invalid input: region ${regionId} does not exist.`)
      })
    }
  }

  app.get('/v3/endpoints', { schema: { querystring: EndpointQuery } }, async (req) => {
    requireAdmin(req)
    let q = db
      .selectFrom('endpoints')
      .selectAll()
      .orderBy('service_id')
      .orderBy('region_id')
      .orderBy('interface')
    if (req.query.interface !== undefined)
      q = q.where('interface', '=', req.query.interface as EndpointRow['interface'])
    if (req.query.service_id !== undefined) q = q.where('service_id', '=', req.query.service_id)
    if (req.query.region_id !== undefined) q = q.where('region_id', '=', req.query.region_id)
    return {
      endpoints: (await q.execute()).map((r) => toEndpoint(req, r)),
      links: collectionLinks(req),
    }
  })

  app.get('/v3/endpoints/:id', { schema: { params: IdParams } }, async (req) => {
    requireAdmin(req)
    return { endpoint: toEndpoint(req, await getEndpoint(db, req.params.id)) }
  })

  app.post('/v3/endpoints', { schema: { body: EndpointCreate } }, async (req, reply) => {
    requireAdmin(req)
    const e = req.body.endpoint
    const row: EndpointRow = {
      id: hexId(),
      service_id: e.service_id,
      region_id: e.region_id ?? e.region ?? null,
      interface: e.interface,
      url: e.url,
      enabled: flag(e.enabled),
    }
    await checkRefs(row.service_id, row.region_id)
    await db.insertInto('endpoints').values(row).execute()
    return reply.code(201).send({ endpoint: toEndpoint(req, row) })
  })

  app.patch(
    '/v3/endpoints/:id',
    { schema: { params: IdParams, body: EndpointUpdate } },
    async (req) => {
      requireAdmin(req)
      const current = await getEndpoint(db, req.params.id)
      const e = req.body.endpoint
      const region = e.region_id !== undefined ? e.region_id : e.region
      const next: EndpointRow = {
        ...current,
        service_id: e.service_id ?? current.service_id,
        region_id: region === undefined ? current.region_id : region,
        interface: e.interface ?? current.interface,
        url: e.url ?? current.url,
        enabled: e.enabled === undefined ? current.enabled : flag(e.enabled),
      }
      await checkRefs(next.service_id, next.region_id)
      await db.updateTable('endpoints').set(next).where('id', '=', current.id).execute()
      return { endpoint: toEndpoint(req, next) }
    },
  )

  app.delete('/v3/endpoints/:id', { schema: { params: IdParams } }, async (req, reply) => {
    requireAdmin(req)
    await getEndpoint(db, req.params.id)
    await db.deleteFrom('endpoints').where('id', '=', req.params.id).execute()
    return reply.code(204).send()
  })
}
