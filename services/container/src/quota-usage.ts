/**
 * Zun's quotas: per project limits on containers, cpu, memory (MiB) and disk (GiB), from the
 * project's own rows, else the `default` quota class, else Zun's defaults.
 */
import type { ContainerDatabase } from './db.js'
import { OverQuota } from './errors.js'

export const QUOTA_RESOURCES = ['containers', 'cpu', 'memory', 'disk'] as const
export type QuotaResource = (typeof QUOTA_RESOURCES)[number]
export type QuotaSet = Record<QuotaResource, number>

export const ZUN_DEFAULT_QUOTAS: QuotaSet = { containers: 40, cpu: 20, memory: 51200, disk: 100 }

/** The `default` class's limits over Zun's built-in ones. */
export async function defaultQuotas(db: ContainerDatabase): Promise<QuotaSet> {
  const rows = await db
    .selectFrom('quota_classes')
    .selectAll()
    .where('class_name', '=', 'default')
    .execute()
  const limits = { ...ZUN_DEFAULT_QUOTAS }
  for (const row of rows) limits[row.resource as QuotaResource] = Number(row.hard_limit)
  return limits
}

/** The project's limits (its own rows over the defaults). */
export async function projectQuotas(db: ContainerDatabase, projectId: string): Promise<QuotaSet> {
  const limits = await defaultQuotas(db)
  const rows = await db
    .selectFrom('quotas')
    .selectAll()
    .where('project_id', '=', projectId)
    .execute()
  for (const row of rows) limits[row.resource as QuotaResource] = Number(row.hard_limit)
  return limits
}

/** What the project's containers use now. */
export async function projectUsage(db: ContainerDatabase, projectId: string): Promise<QuotaSet> {
  const rows = await db
    .selectFrom('containers')
    .select(['cpu', 'memory', 'disk'])
    .where('project_id', '=', projectId)
    .execute()
  return {
    containers: rows.length,
    cpu: rows.reduce((s, r) => s + Number(r.cpu), 0),
    memory: rows.reduce((s, r) => s + Number(r.memory ?? 0), 0),
    disk: rows.reduce((s, r) => s + Number(r.disk), 0),
  }
}

/** A 403 when adding `delta` would take the project over any limit (-1 is unlimited). */
export async function checkQuota(
  db: ContainerDatabase,
  projectId: string,
  delta: Partial<QuotaSet>,
): Promise<void> {
  const [limits, usage] = await Promise.all([
    projectQuotas(db, projectId),
    projectUsage(db, projectId),
  ])
  const over = QUOTA_RESOURCES.filter(
    (r) => (delta[r] ?? 0) > 0 && limits[r] >= 0 && usage[r] + (delta[r] ?? 0) > limits[r] + 1e-9,
  )
  if (over.length) {
    throw new OverQuota(`Quota exceeded for resources: ${JSON.stringify(over)}.`)
  }
}
