import { caller, isAdmin, uuid, type App, type AuthContext } from '@tricircle/core'
import { Type, type Static } from 'typebox'
import { owningProject, requireAdmin, requireWrite } from './access.js'
import { parseJson, standardView, tagsOf, timestamp } from './common.js'
import type { NetworkDatabase, SubnetPoolRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { SubnetPoolNotFound } from './errors.js'
import { normalizeSubnetPool, updateSubnetPool, type SubnetPoolSpec } from './ipam/subnet-pools.js'
import { listResponse, type ListSpec } from './listing.js'
import { checkQuota } from './quotas.js'
import { Conflict } from '@tricircle/core'
import { createRoute, narrow } from './resource-routes.js'

const Prefixlen = Type.Integer({ minimum: 0, maximum: 128 })
const PoolCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    prefixes: Type.Array(Type.String(), { minItems: 1 }),
    default_prefixlen: Type.Optional(Prefixlen),
    min_prefixlen: Type.Optional(Prefixlen),
    max_prefixlen: Type.Optional(Prefixlen),
    shared: Type.Optional(Type.Boolean()),
    is_default: Type.Optional(Type.Boolean()),
    address_scope_id: Type.Optional(Type.Null()),
    default_quota: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    project_id: Type.Optional(Type.String({ minLength: 1 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)
type PoolCreate = Static<typeof PoolCreate>
const PoolUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    prefixes: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    default_prefixlen: Type.Optional(Prefixlen),
    min_prefixlen: Type.Optional(Prefixlen),
    max_prefixlen: Type.Optional(Prefixlen),
    is_default: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const subnetPoolListSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    ip_version: 'integer',
    shared: 'boolean',
    is_default: 'boolean',
    default_prefixlen: 'integer',
    min_prefixlen: 'integer',
    max_prefixlen: 'integer',
    revision_number: 'integer',
  },
}

export const poolSpec = (row: SubnetPoolRow): SubnetPoolSpec => ({
  ip_version: Number(row.ip_version) as 4 | 6,
  prefixes: parseJson(row.prefixes),
  default_prefixlen: Number(row.default_prefixlen),
  min_prefixlen: Number(row.min_prefixlen),
  max_prefixlen: Number(row.max_prefixlen),
})

/** A pool is visible to its project, to everyone when shared, and to admins. */
export async function getVisibleSubnetPool(db: NetworkDatabase, ctx: AuthContext, id: string) {
  const row = await db.selectFrom('subnetpools').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId || row.shared)) {
    throw new SubnetPoolNotFound(id)
  }
  return row
}

async function renderPools(db: NetworkDatabase, rows: SubnetPoolRow[]) {
  const tags = await tagsOf(
    db,
    'subnetpools',
    rows.map((r) => r.id),
  )
  return rows.map((row) => ({
    ...standardView(row),
    ...poolSpec(row),
    shared: Boolean(row.shared),
    is_default: Boolean(row.is_default),
    address_scope_id: row.address_scope_id,
    default_quota: row.default_quota,
    tags: tags.get(row.id) ?? [],
  }))
}

class SubnetPoolInUse extends Conflict {
  constructor(id: string) {
    super(`Unable to complete operation on subnet pool ${id}. Subnets are allocated from it.`)
  }
}

/** `/v2.0/subnetpools`: prefixes subnets are carved from (kuryr's IPAM driver uses them). */
export function subnetPoolRoutes(app: App, deps: NetworkDeps): void {
  const { db } = deps

  async function insertPool(trx: NetworkDatabase, ctx: AuthContext, body: PoolCreate) {
    requireWrite(ctx, 'create_subnetpool')
    const projectId = owningProject(ctx, body, 'create_subnetpool')
    if (body.shared || body.is_default) requireAdmin(ctx, 'create_subnetpool:shared')
    await checkQuota(trx, deps.config.quota, projectId, 'subnetpool')
    const spec = normalizeSubnetPool(body)
    const now = timestamp(deps.clock.now())
    const row: SubnetPoolRow = {
      id: uuid(),
      project_id: projectId,
      name: body.name ?? '',
      description: body.description ?? '',
      revision_number: 1,
      created_at: now,
      updated_at: now,
      ip_version: spec.ip_version,
      prefixes: JSON.stringify(spec.prefixes),
      default_prefixlen: spec.default_prefixlen,
      min_prefixlen: spec.min_prefixlen,
      max_prefixlen: spec.max_prefixlen,
      shared: body.shared ?? false,
      is_default: body.is_default ?? false,
      address_scope_id: null,
      default_quota: body.default_quota ?? null,
    }
    await trx.insertInto('subnetpools').values(row).execute()
    return row
  }

  createRoute<PoolCreate, SubnetPoolRow>(app, db, {
    path: '/v2.0/subnetpools',
    singular: 'subnetpool',
    plural: 'subnetpools',
    item: PoolCreate,
    action: 'create_subnetpool',
    insert: insertPool,
    render: (d, _ctx, rows) => renderPools(d, rows),
  })

  app.get('/v2.0/subnetpools', async (req) => {
    const ctx = caller(req)
    return listResponse(req, 'subnetpools', subnetPoolListSpec, async (pre) => {
      let q = db.selectFrom('subnetpools').selectAll()
      if (!isAdmin(ctx)) {
        q = q.where((eb) =>
          eb.or([eb('project_id', '=', ctx.projectId ?? ''), eb('shared', '=', true)]),
        )
      }
      q = narrow(q, pre, ['id', 'name'])
      return renderPools(db, await q.orderBy('id').execute())
    })
  })

  app.get<{ Params: { id: string } }>('/v2.0/subnetpools/:id', async (req) => {
    const row = await getVisibleSubnetPool(db, caller(req), req.params.id)
    return { subnetpool: (await renderPools(db, [row]))[0] }
  })

  app.put<{ Params: { id: string }; Body: { subnetpool: Static<typeof PoolUpdate> } }>(
    '/v2.0/subnetpools/:id',
    { schema: { body: Type.Object({ subnetpool: PoolUpdate }) } },
    async (req) => {
      const ctx = caller(req)
      requireWrite(ctx, 'update_subnetpool')
      const changes = req.body.subnetpool
      const row = await db.transaction().execute(async (trx) => {
        const current = await getVisibleSubnetPool(trx, ctx, req.params.id)
        if (current.project_id !== ctx.projectId) requireAdmin(ctx, 'update_subnetpool')
        if (changes.is_default !== undefined) requireAdmin(ctx, 'update_subnetpool:is_default')
        const spec = updateSubnetPool(poolSpec(current), changes)
        const next: SubnetPoolRow = {
          ...current,
          name: changes.name ?? current.name,
          description: changes.description ?? current.description,
          is_default: changes.is_default ?? Boolean(current.is_default),
          prefixes: JSON.stringify(spec.prefixes),
          default_prefixlen: spec.default_prefixlen,
          min_prefixlen: spec.min_prefixlen,
          max_prefixlen: spec.max_prefixlen,
          revision_number: Number(current.revision_number) + 1,
          updated_at: timestamp(deps.clock.now()),
        }
        await trx.updateTable('subnetpools').set(next).where('id', '=', current.id).execute()
        return next
      })
      return { subnetpool: (await renderPools(db, [row]))[0] }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/subnetpools/:id', async (req, reply) => {
    const ctx = caller(req)
    requireWrite(ctx, 'delete_subnetpool')
    await db.transaction().execute(async (trx) => {
      const current = await getVisibleSubnetPool(trx, ctx, req.params.id)
      if (current.project_id !== ctx.projectId) requireAdmin(ctx, 'delete_subnetpool')
      const used = await trx
        .selectFrom('subnets')
        .select('id')
        .where('subnetpool_id', '=', current.id)
        .executeTakeFirst()
      if (used) throw new SubnetPoolInUse(current.id)
      await trx
        .deleteFrom('tags')
        .where('resource_type', '=', 'subnetpools')
        .where('resource_id', '=', current.id)
        .execute()
      await trx.deleteFrom('subnetpools').where('id', '=', current.id).execute()
    })
    return reply.code(204).send()
  })
}
