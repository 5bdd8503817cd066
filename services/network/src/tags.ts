import { BadRequest, caller, isAdmin, type App, type AuthContext } from '@tricircle/core'
import { Type } from 'typebox'
import { requireWrite } from './access.js'
import type { NetworkDatabase } from './db.js'
import type { NetworkDeps } from './deps.js'
import {
  FloatingIPNotFound,
  NetworkNotFound,
  PortNotFound,
  RouterNotFound,
  SecurityGroupNotFound,
  SubnetNotFound,
  SubnetPoolNotFound,
  TagNotFound,
} from './errors.js'

/** The collections that carry tags, with the table and the 404 each uses. */
const taggable = {
  networks: { table: 'networks', notFound: (id: string) => new NetworkNotFound(id) },
  subnets: { table: 'subnets', notFound: (id: string) => new SubnetNotFound(id) },
  ports: { table: 'ports', notFound: (id: string) => new PortNotFound(id) },
  routers: { table: 'routers', notFound: (id: string) => new RouterNotFound(id) },
  subnetpools: { table: 'subnetpools', notFound: (id: string) => new SubnetPoolNotFound(id) },
  'security-groups': {
    table: 'security_groups',
    notFound: (id: string) => new SecurityGroupNotFound(id),
  },
  floatingips: { table: 'floating_ips', notFound: (id: string) => new FloatingIPNotFound(id) },
} as const
type Collection = keyof typeof taggable

const MAX_TAG = 255

function validTag(tag: string): string {
  if (tag.length === 0 || tag.length > MAX_TAG || tag.includes(',')) {
    throw new BadRequest(`Invalid tag '${tag}': 1 to ${MAX_TAG} characters, no comma.`)
  }
  return tag
}

/**
 * The resource's owner, when the caller may change its tags (owner or admin). Shared networks
 * are visible to everyone, but only their owner tags them; to anyone else who cannot see the
 * resource it does not exist.
 */
async function ownedResource(
  db: NetworkDatabase,
  ctx: AuthContext,
  collection: Collection,
  id: string,
): Promise<string> {
  const spec = taggable[collection]
  const row = await db
    .selectFrom(spec.table)
    .select('project_id')
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId)) throw spec.notFound(id)
  return row.project_id
}

async function tagsOfOne(db: NetworkDatabase, collection: Collection, id: string) {
  const rows = await db
    .selectFrom('tags')
    .select('tag')
    .where('resource_type', '=', collection)
    .where('resource_id', '=', id)
    .orderBy('tag')
    .execute()
  return rows.map((r) => r.tag)
}

/** Neutron's tag extension: `/v2.0/{collection}/{id}/tags[/{tag}]`. */
export function tagRoutes(app: App, deps: NetworkDeps): void {
  const { db } = deps
  type Params = { collection: string; id: string; tag?: string }
  const resolve = async (
    req: { params: Params } & Parameters<typeof caller>[0],
    write: boolean,
  ) => {
    const ctx = caller(req)
    const collection = req.params.collection as Collection
    if (!(collection in taggable)) throw new BadRequest(`Tags are not supported on ${collection}.`)
    if (write) requireWrite(ctx, `update_${collection}_tags`)
    await ownedResource(db, ctx, collection, req.params.id)
    return collection
  }
  const touch = (trx: NetworkDatabase, collection: Collection, id: string) =>
    trx
      .updateTable(taggable[collection].table)
      .set((eb) => ({ revision_number: eb('revision_number', '+', 1) }))
      .where('id', '=', id)
      .execute()

  app.get<{ Params: Params }>('/v2.0/:collection/:id/tags', async (req) => {
    const collection = await resolve(req, false)
    return { tags: await tagsOfOne(db, collection, req.params.id) }
  })
  app.get<{ Params: Params & { tag: string } }>(
    '/v2.0/:collection/:id/tags/:tag',
    async (req, reply) => {
      const collection = await resolve(req, false)
      const tags = await tagsOfOne(db, collection, req.params.id)
      if (!tags.includes(req.params.tag))
        throw new TagNotFound(collection, req.params.id, req.params.tag)
      return reply.code(204).send()
    },
  )
  app.put<{ Params: Params; Body: { tags: string[] } }>(
    '/v2.0/:collection/:id/tags',
    { schema: { body: Type.Object({ tags: Type.Array(Type.String()) }) } },
    async (req) => {
      const collection = await resolve(req, true)
      const tags = [...new Set(req.body.tags.map(validTag))].sort()
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('tags')
          .where('resource_type', '=', collection)
          .where('resource_id', '=', req.params.id)
          .execute()
        if (tags.length) {
          await trx
            .insertInto('tags')
            .values(
              tags.map((tag) => ({ resource_type: collection, resource_id: req.params.id, tag })),
            )
            .execute()
        }
        await touch(trx, collection, req.params.id)
      })
      return { tags }
    },
  )
  app.put<{ Params: Params & { tag: string } }>(
    '/v2.0/:collection/:id/tags/:tag',
    async (req, reply) => {
      const collection = await resolve(req, true)
      const tag = validTag(req.params.tag)
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('tags')
          .values({ resource_type: collection, resource_id: req.params.id, tag })
          .onConflict((oc) => oc.doNothing())
          .execute()
        await touch(trx, collection, req.params.id)
      })
      return reply.code(201).send()
    },
  )
  app.delete<{ Params: Params }>('/v2.0/:collection/:id/tags', async (req, reply) => {
    const collection = await resolve(req, true)
    await db
      .deleteFrom('tags')
      .where('resource_type', '=', collection)
      .where('resource_id', '=', req.params.id)
      .execute()
    return reply.code(204).send()
  })
  app.delete<{ Params: Params & { tag: string } }>(
    '/v2.0/:collection/:id/tags/:tag',
    async (req, reply) => {
      const collection = await resolve(req, true)
      const result = await db
        .deleteFrom('tags')
        .where('resource_type', '=', collection)
        .where('resource_id', '=', req.params.id)
        .where('tag', '=', req.params.tag)
        .executeTakeFirst()
      if (Number(result.numDeletedRows) === 0) {
        throw new TagNotFound(collection, req.params.id, req.params.tag)
      }
      return reply.code(204).send()
    },
  )
}
