/** `GET /v1/containers` (filters, `all_projects` for admins, Zun's pagination) and show. */
import { caller, isAdmin, type App } from '@tricircle/core'
import type { ContainerDeps } from '../deps.js'
import { baseUrl } from '../discovery.js'
import { Invalid } from '../errors.js'
import { allProjects, findContainer } from './repository.js'
import { toContainer } from './view.js'

const FILTERS = [
  'name',
  'image',
  'project_id',
  'user_id',
  'memory',
  'host',
  'task_state',
  'status',
  'auto_remove',
] as const
const PAGING = ['limit', 'marker', 'sort_key', 'sort_dir', 'all_projects']
const SORT_KEYS = new Set([
  'id',
  'uuid',
  'name',
  'image',
  'status',
  'created_at',
  'updated_at',
  'host',
  'memory',
  'cpu',
])
const MAX_LIMIT = 1000

export function readRoutes(app: App, deps: ContainerDeps): void {
  app.get<{ Querystring: Record<string, string> }>('/v1/containers', async (req) => {
    const ctx = caller(req)
    const q = req.query
    for (const key of Object.keys(q)) {
      if (!PAGING.includes(key) && !(FILTERS as readonly string[]).includes(key)) {
        throw new Invalid(`Unknown parameters: ${key}`)
      }
    }
    const limit = q.limit === undefined ? MAX_LIMIT : Number(q.limit)
    if (!Number.isInteger(limit) || limit < 0)
      throw new Invalid(`Invalid limit ${q.limit}: it must be a non-negative integer.`)
    const sortKey = q.sort_key ?? 'id'
    if (!SORT_KEYS.has(sortKey)) throw new Invalid(`Invalid sort_key ${sortKey}.`)
    const sortDir = (q.sort_dir ?? 'asc').toLowerCase()
    if (sortDir !== 'asc' && sortDir !== 'desc')
      throw new Invalid(`Invalid sort direction ${q.sort_dir}: it must be asc or desc.`)
    // Zun's `id` is its row's serial number, so the default order is the order of creation.
    const column = sortKey === 'id' ? 'created_at' : sortKey

    let query = deps.db.selectFrom('containers').selectAll()
    if (!allProjects(req, q.all_projects))
      query = query.where('project_id', '=', ctx.projectId ?? '')
    for (const key of FILTERS) {
      const value = q[key]
      if (value === undefined) continue
      if (key === 'project_id' && !isAdmin(ctx)) continue
      if (key === 'auto_remove')
        query = query.where('auto_remove', '=', /^(1|t|true|yes|on)$/i.test(value) ? 1 : 0)
      else query = query.where(key, '=', value)
    }
    const rows = await query
      .orderBy(column as 'uuid', sortDir)
      .orderBy('uuid', sortDir)
      .execute()
    let start = 0
    if (q.marker !== undefined) {
      const at = rows.findIndex((r) => r.uuid === q.marker)
      if (at < 0) throw new Invalid(`Marker ${q.marker} could not be found.`)
      start = at + 1
    }
    const page = rows.slice(start, start + Math.min(limit, MAX_LIMIT))
    const base = baseUrl(req, deps.config.bind.publicUrl)
    // `limit=0` is an empty page with no next link: there is no last item to continue from.
    const full =
      q.limit !== undefined && limit > 0 && page.length === limit && start + limit < rows.length
    const next = full
      ? `${base}/v1/containers?sort_key=${sortKey}&sort_dir=${sortDir}&limit=${limit}&marker=${page.at(-1)!.uuid}`
      : null
    return { containers: page.map((r) => toContainer(r, base)), next }
  })

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/containers/:id',
    async (req) => {
      const row = await findContainer(
        deps.db,
        caller(req),
        req.params.id,
        allProjects(req, req.query.all_projects),
      )
      return toContainer(row, baseUrl(req, deps.config.bind.publicUrl))
    },
  )
}
