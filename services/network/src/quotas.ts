import { BadRequest, caller, type App } from '@tricircle/core'
import { Type } from 'typebox'
import { canRead, requireAdmin } from './access.js'
import type { QuotaConfig } from './config.js'
import type { NetworkDatabase } from './db.js'
import type { NetworkDeps } from './deps.js'
import { OverQuota } from './errors.js'

export type QuotaResource = keyof QuotaConfig

const tableOf = {
  network: 'networks',
  subnet: 'subnets',
  subnetpool: 'subnetpools',
  port: 'ports',
  router: 'routers',
  floatingip: 'floating_ips',
  security_group: 'security_groups',
  security_group_rule: 'security_group_rules',
} as const satisfies Record<QuotaResource, string>

const RESOURCES = Object.keys(tableOf) as QuotaResource[]

/** A project's limits: its own rows over the configured defaults. */
export async function limitsOf(
  db: NetworkDatabase,
  defaults: QuotaConfig,
  projectId: string,
): Promise<Record<QuotaResource, number>> {
  const rows = await db
    .selectFrom('quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId)
    .execute()
  const limits = { ...defaults }
  for (const r of rows) if (r.resource in limits) limits[r.resource as QuotaResource] = r.hard_limit
  return limits
}

async function used(db: NetworkDatabase, projectId: string, resource: QuotaResource) {
  const row = await db
    .selectFrom(tableOf[resource])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Refuses a create that would take a project over its limit. Run it inside the creating
 * transaction: on SQLite writers are serialised, so the count cannot go stale; on PostgreSQL two
 * concurrent creates may both pass at the boundary, as in Neutron without reservations.
 */
export async function checkQuota(
  db: NetworkDatabase,
  defaults: QuotaConfig,
  projectId: string,
  resource: QuotaResource,
  adding = 1,
): Promise<void> {
  const limit = (await limitsOf(db, defaults, projectId))[resource]
  if (limit < 0) return
  if ((await used(db, projectId, resource)) + adding > limit) throw new OverQuota(resource)
}

const QuotaBody = Type.Object({
  quota: Type.Partial(
    Type.Object(Object.fromEntries(RESOURCES.map((r) => [r, Type.Integer({ minimum: -1 })]))),
    { additionalProperties: false },
  ),
})

/** `/v2.0/quotas`: read your own project's; admins read and set anyone's. */
export function quotaRoutes(app: App, deps: NetworkDeps): void {
  const { db } = deps
  const defaults = deps.config.quota
  const view = (projectId: string, limits: Record<string, number>) => ({
    ...limits,
    project_id: projectId,
    tenant_id: projectId,
  })
  const readable = (req: Parameters<typeof caller>[0], projectId: string) => {
    const ctx = caller(req)
    if (!canRead(ctx, projectId)) requireAdmin(ctx, 'get_quota')
  }

  app.get('/v2.0/quotas', async (req) => {
    requireAdmin(caller(req), 'get_quota')
    const rows = await db.selectFrom('quotas').select('project_id').distinct().execute()
    const quotas = []
    for (const { project_id } of rows) {
      quotas.push(view(project_id, await limitsOf(db, defaults, project_id)))
    }
    return { quotas }
  })
  app.get<{ Params: { project: string } }>('/v2.0/quotas/:project', async (req) => {
    readable(req, req.params.project)
    const limits = await limitsOf(db, defaults, req.params.project)
    return { quota: limits }
  })
  app.get<{ Params: { project: string } }>('/v2.0/quotas/:project/default', async (req) => {
    readable(req, req.params.project)
    return { quota: view(req.params.project, defaults) }
  })
  app.get<{ Params: { project: string } }>('/v2.0/quotas/:project/details', async (req) => {
    readable(req, req.params.project)
    const limits = await limitsOf(db, defaults, req.params.project)
    const quota: Record<string, { limit: number; used: number; reserved: number }> = {}
    for (const r of RESOURCES) {
      quota[r] = { limit: limits[r], used: await used(db, req.params.project, r), reserved: 0 }
    }
    return { quota }
  })
  app.put<{ Params: { project: string }; Body: { quota: Partial<Record<QuotaResource, number>> } }>(
    '/v2.0/quotas/:project',
    { schema: { body: QuotaBody } },
    async (req) => {
      requireAdmin(caller(req), 'update_quota')
      const entries = Object.entries(req.body.quota)
      if (entries.length === 0) throw new BadRequest('No quota given to update.')
      await db.transaction().execute(async (trx) => {
        for (const [resource, hard_limit] of entries) {
          await trx
            .deleteFrom('quotas')
            .where('project_id', '=', req.params.project)
            .where('resource', '=', resource)
            .execute()
          await trx
            .insertInto('quotas')
            .values({ project_id: req.params.project, resource, hard_limit })
            .execute()
        }
      })
      return { quota: await limitsOf(db, defaults, req.params.project) }
    },
  )
  app.delete<{ Params: { project: string } }>('/v2.0/quotas/:project', async (req, reply) => {
    requireAdmin(caller(req), 'delete_quota')
    await db.deleteFrom('quotas').where('project_id', '=', req.params.project).execute()
    return reply.code(204).send()
  })
}
