import { Type } from 'typebox'
import { BadRequest, NotFound, type App } from '@tricircle/core'
import type { Selectable } from '@tricircle/store'
import { toJob, type Job, type JobRow } from '../jobs/db.js'
import {
  JOB_STATUSES,
  JOB_TYPES,
  isJobType,
  resourceIdFor,
  type JobStatus,
  type JobType,
} from '../jobs/registry.js'
import type { AdminDeps } from './app.js'
import { checkFilters, flatQuery, nextLinks, parseLimit, showTime } from './paging.js'

/**
 * The routing that proves a job's resource belongs to the project (Tricircle's
 * `job_primary_resource_map`); `seg_rule_setup` names the project itself.
 */
const PRIMARY: Record<JobType, [resourceType: string, field: string] | undefined> = {
  router_setup: ['router', 'router_id'],
  configure_route: ['router', 'router_id'],
  port_delete: ['port', 'port_id'],
  update_network: ['network', 'network_id'],
  subnet_update: ['subnet', 'subnet_id'],
  shadow_port_setup: ['network', 'network_id'],
  seg_rule_setup: undefined,
}

const JobBody = Type.Object({
  job: Type.Object({
    type: Type.Optional(Type.String({ maxLength: 36 })),
    project_id: Type.Optional(Type.String({ maxLength: 64 })),
    resource: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
})
const IdParams = Type.Object({ id: Type.String() })

const view = (job: Job) => ({
  id: job.id,
  project_id: job.projectId,
  type: job.type,
  timestamp: showTime(job.createdAt),
  status: job.status,
  resource: job.resource,
})

/** The detail list also shows what the engine knows about retries. */
const detailView = (job: Job) => ({
  ...view(job),
  attempts: job.attempts,
  last_error: job.lastError,
  next_attempt_at: job.nextAttemptAt && showTime(job.nextAttemptAt),
  updated_at: showTime(job.updatedAt),
})

/** Async jobs: list and inspect them, queue one by hand, redo a failed one, delete one. */
export function jobRoutes(app: App, { db, jobs }: AdminDeps): void {
  const list = (path: string, show: (job: Job) => object) =>
    app.get(path, async (req) => {
      const query = flatQuery(req)
      checkFilters(query, ['project_id', 'type', 'status'])
      const limit = parseLimit(query.limit)
      let q = db.selectFrom('async_jobs').selectAll()
      if (query.project_id !== undefined) q = q.where('project_id', '=', query.project_id)
      if (query.type !== undefined) q = q.where('type', '=', query.type)
      if (query.status !== undefined) q = q.where('status', '=', parseStatus(query.status))
      if (query.marker !== undefined) {
        const marker = await db
          .selectFrom('async_jobs')
          .select('seq')
          .where('id', '=', query.marker)
          .executeTakeFirst()
        if (!marker) throw new BadRequest(`Invalid marker: job ${query.marker} not found.`)
        q = q.where('seq', '<', marker.seq)
      }
      const rows: Selectable<JobRow>[] = await q
        .orderBy('seq', 'desc')
        .limit(limit + 1)
        .execute()
      const page = rows.slice(0, limit).map(toJob)
      return {
        jobs: page.map(show),
        jobs_links: nextLinks(path, query, limit, page.at(-1)?.id, rows.length > limit),
      }
    })
  list('/v1.0/jobs', view)
  list('/v1.0/jobs/detail', detailView)

  app.get('/v1.0/jobs/schemas', async () => ({
    schemas: Object.entries(JOB_TYPES).map(([type, resource]) => ({ type, resource })),
  }))

  app.get('/v1.0/jobs/:id', { schema: { params: IdParams } }, async (req) => {
    const job = await jobs.get(req.params.id)
    if (!job) throw new NotFound(`Job ${req.params.id} not found.`)
    return { job: view(job) }
  })

  app.post('/v1.0/jobs', { schema: { body: JobBody } }, async (req, reply) => {
    const { type = '', project_id: projectId = '', resource = {} } = req.body.job
    if (type.trim() === '') throw new BadRequest('Field type can not be empty.')
    if (projectId.trim() === '') throw new BadRequest('Field project_id can not be empty.')
    if (!isJobType(type)) throw new BadRequest(`Job type ${type} is not supported.`)
    resourceIdFor(type, resource) // the resource's fields, before anything is looked up
    const values = resource as Record<string, string>
    await checkProject(type, projectId, values)
    const job = await jobs.enqueue(db, { type, projectId, resource: values })
    // Accepted: the work happens later (Tricircle's docs say 202; its code sent 200).
    return reply.code(202).send({ job: view(job) })
  })

  app.put('/v1.0/jobs/:id', { schema: { params: IdParams } }, async (req) => ({
    job: view(await jobs.redo(req.params.id)),
  }))

  app.delete('/v1.0/jobs/:id', { schema: { params: IdParams } }, async (req) => {
    await jobs.remove(req.params.id)
    return {}
  })

  async function checkProject(type: JobType, projectId: string, resource: Record<string, string>) {
    const primary = PRIMARY[type]
    if (!primary) {
      if (resource.project_id !== projectId) {
        throw new BadRequest(`Resource project_id must be the job's project ${projectId}.`)
      }
      return
    }
    const [resourceType, field] = primary
    const id = resource[field]!
    const routed = await db
      .selectFrom('resource_routings')
      .select('id')
      .where('project_id', '=', projectId)
      .where('resource_type', '=', resourceType)
      .where('top_id', '=', id)
      .limit(1)
      .executeTakeFirst()
    if (!routed) {
      throw new BadRequest(`${resourceType} ${id} doesn't belong to the project ${projectId}.`)
    }
  }
}

/** Statuses are matched case-insensitively, as Tricircle does. */
function parseStatus(raw: string): JobStatus {
  const status = raw.trim().toUpperCase()
  if (!(JOB_STATUSES as readonly string[]).includes(status)) {
    throw new BadRequest(`Invalid status ${raw}: one of new, running, success, fail.`)
  }
  return status as JobStatus
}
