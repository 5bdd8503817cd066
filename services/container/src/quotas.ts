/**
 * Zun's quota API: a project's limits (and usage), the defaults, and quota classes. Limits live
 * in `quotas` (per project) and `quota_classes` (the `default` class applies to every project
 * without its own limit); `quota-usage.ts` reads them and enforces them on create.
 */
import type { FastifyRequest } from 'fastify'
import { canAccessProject, caller, isAdmin, type App } from '@tricircle/core'
import type { ContainerDatabase } from './db.js'
import type { ContainerDeps } from './deps.js'
import { Invalid, PolicyNotAuthorized } from './errors.js'
import { isTrue } from './containers/repository.js'
import {
  defaultQuotas,
  projectQuotas,
  projectUsage,
  QUOTA_RESOURCES,
  ZUN_DEFAULT_QUOTAS,
  type QuotaResource,
  type QuotaSet,
} from './quota-usage.js'

/** `hard_limit` is a 32-bit integer column on PostgreSQL. */
const MAX_LIMIT = 2147483647

const invalid = (field: string, value: unknown, why: string) =>
  new Invalid(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${why}`)

/**
 * Zun's quota schema: only the four resources, each an integer (or a string of one) of at
 * least -1, where -1 means unlimited.
 */
export function parseQuotaBody(body: unknown): Partial<QuotaSet> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Invalid('The request body must be a JSON object of quota limits.')
  }
  const limits: Partial<QuotaSet> = {}
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!(QUOTA_RESOURCES as readonly string[]).includes(key)) {
      throw new Invalid(`Additional properties are not allowed ('${key}' was unexpected)`)
    }
    const n = typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw invalid(key, value, `${JSON.stringify(value)} is not of type 'integer', 'string'.`)
    }
    if (n < -1) throw invalid(key, value, `${n} is less than the minimum of -1.`)
    if (n > MAX_LIMIT) {
      throw invalid(key, value, `${n} is greater than the maximum of ${MAX_LIMIT}.`)
    }
    limits[key as QuotaResource] = n
  }
  return limits
}

/** A class's limits: its own rows over Zun's built-in defaults. */
async function classQuotas(db: ContainerDatabase, name: string): Promise<QuotaSet> {
  const rows = await db
    .selectFrom('quota_classes')
    .selectAll()
    .where('class_name', '=', name)
    .execute()
  const limits = { ...ZUN_DEFAULT_QUOTAS }
  for (const row of rows) limits[row.resource as QuotaResource] = Number(row.hard_limit)
  return limits
}

function requireAdmin(req: FastifyRequest, rule: string): void {
  if (!isAdmin(caller(req))) throw new PolicyNotAuthorized(rule)
}

/** Zun's `admin_or_owner`: an admin, or someone in the project asked about. */
function requireOwner(req: FastifyRequest, project: string, rule: string): void {
  if (!canAccessProject(caller(req), project, 'reader')) throw new PolicyNotAuthorized(rule)
}

export function quotaRoutes(app: App, deps: ContainerDeps): void {
  const { db } = deps

  /** Writes each limit given, replacing any there was: one row per (owner, resource). */
  async function saveProjectLimits(project: string, limits: Partial<QuotaSet>): Promise<void> {
    await db.transaction().execute(async (trx) => {
      for (const [resource, hardLimit] of Object.entries(limits)) {
        await trx
          .insertInto('quotas')
          .values({ project_id: project, resource, hard_limit: hardLimit })
          .onConflict((oc) =>
            oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit: hardLimit }),
          )
          .execute()
      }
    })
  }

  async function saveClassLimits(name: string, limits: Partial<QuotaSet>): Promise<void> {
    await db.transaction().execute(async (trx) => {
      for (const [resource, hardLimit] of Object.entries(limits)) {
        await trx
          .insertInto('quota_classes')
          .values({ class_name: name, resource, hard_limit: hardLimit })
          .onConflict((oc) =>
            oc.columns(['class_name', 'resource']).doUpdateSet({ hard_limit: hardLimit }),
          )
          .execute()
      }
    })
  }

  app.get<{ Params: { project: string }; Querystring: { usages?: string } }>(
    '/v1/quotas/:project',
    async (req) => {
      const { project } = req.params
      requireOwner(req, project, 'quota:get')
      const limits = await projectQuotas(db, project)
      if (!isTrue(req.query.usages)) return limits
      const usage = await projectUsage(db, project)
      return Object.fromEntries(
        QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: usage[r] }]),
      )
    },
  )

  app.put<{ Params: { project: string } }>('/v1/quotas/:project', async (req) => {
    requireAdmin(req, 'quota:update')
    const limits = parseQuotaBody(req.body)
    await saveProjectLimits(req.params.project, limits)
    return projectQuotas(db, req.params.project)
  })

  app.get<{ Params: { project: string } }>('/v1/quotas/:project/defaults', async (req) => {
    requireOwner(req, req.params.project, 'quota:get_default')
    return defaultQuotas(db)
  })

  app.delete<{ Params: { project: string } }>('/v1/quotas/:project', async (req, reply) => {
    requireAdmin(req, 'quota:delete')
    await db.deleteFrom('quotas').where('project_id', '=', req.params.project).execute()
    return reply.code(204).send()
  })

  app.get<{ Params: { name: string } }>('/v1/quota_classes/:name', async (req) =>
    classQuotas(db, req.params.name),
  )

  app.put<{ Params: { name: string } }>('/v1/quota_classes/:name', async (req) => {
    requireAdmin(req, 'quota_class:update')
    const limits = parseQuotaBody(req.body)
    await saveClassLimits(req.params.name, limits)
    return classQuotas(db, req.params.name)
  })
}
