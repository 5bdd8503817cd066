import { Type } from 'typebox'
import { BadRequest, caller, type App } from '@tricircle/core'
import { getVisibleImage, visibleTo, type MemberStatusFilter } from './access.js'
import type { ImageRow } from './db.js'
import type { ImageDeps } from './deps.js'
import { compareRows, parseSort } from './image-sort.js'
import { loadTags, parseExtra, toImage } from './image-view.js'

/** Glance's `limit_param_default` and `api_limit_max`. */
const DEFAULT_LIMIT = 25
const MAX_LIMIT = 1000

const Strings = Type.Array(Type.String())
const ImageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer()),
    marker: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    visibility: Type.Optional(
      Type.Union(['public', 'private', 'shared', 'community', 'all'].map((v) => Type.Literal(v))),
    ),
    owner: Type.Optional(Type.String()),
    container_format: Type.Optional(Type.String()),
    disk_format: Type.Optional(Type.String()),
    tag: Type.Optional(Strings),
    member_status: Type.Optional(
      Type.Union(['accepted', 'pending', 'rejected', 'all'].map((v) => Type.Literal(v))),
    ),
    os_hidden: Type.Optional(Type.String()),
    protected: Type.Optional(Type.String()),
    size_min: Type.Optional(Type.Integer({ minimum: 0 })),
    size_max: Type.Optional(Type.Integer({ minimum: 0 })),
    sort: Type.Optional(Type.String()),
    sort_key: Type.Optional(Strings),
    sort_dir: Type.Optional(Strings),
  },
  { additionalProperties: true },
)
const KNOWN = new Set(Object.keys(ImageQuery.properties))

/**
 * `GET /v2/images`: filters and visibility run in SQL; order and the marker are applied here,
 * because SQLite and PostgreSQL order NULLs and text differently and a marker must mean the same
 * position on both (a caller sees hundreds of images, not millions).
 */
export function imageListRoutes(app: App, deps: ImageDeps): void {
  const { db } = deps
  app.get('/v2/images', { schema: { querystring: ImageQuery } }, async (req) => {
    const ctx = caller(req)
    const f = req.query
    const limit = Math.min(f.limit ?? DEFAULT_LIMIT, MAX_LIMIT)
    if (limit < 0) throw new BadRequest('limit param must be positive')
    if (f.size_min !== undefined && f.size_max !== undefined && f.size_min > f.size_max)
      throw new BadRequest('size_min must not be greater than size_max')
    const specs = parseSort(f)
    const memberStatus: MemberStatusFilter = f.member_status ?? 'accepted'
    let q = db
      .selectFrom('images')
      .selectAll()
      .where(visibleTo(ctx, { visibility: f.visibility, memberStatus }))
      .where('os_hidden', '=', queryBool('os_hidden', f.os_hidden ?? 'false') ? 1 : 0)
    if (f.visibility !== undefined && f.visibility !== 'all')
      q = q.where('visibility', '=', f.visibility)
    for (const key of ['name', 'status', 'owner', 'container_format', 'disk_format'] as const) {
      const wanted = f[key]
      if (wanted !== undefined) q = q.where(key, '=', wanted)
    }
    if (f.protected !== undefined)
      q = q.where('protected', '=', queryBool('protected', f.protected) ? 1 : 0)
    if (f.size_min !== undefined) q = q.where('size', '>=', f.size_min)
    if (f.size_max !== undefined) q = q.where('size', '<=', f.size_max)
    for (const tag of f.tag ?? [])
      q = q.where('id', 'in', db.selectFrom('image_tags').select('image_id').where('tag', '=', tag))

    const byExtra = extraFilters(f)
    const compare = compareRows(specs)
    let rows = (await q.execute()).filter((r) => matchesExtra(r, byExtra)).sort(compare)
    if (f.marker !== undefined) {
      const marker = await getVisibleImage(db, ctx, f.marker).catch(() => {
        throw new BadRequest(`Invalid marker. Image ${f.marker} could not be found.`)
      })
      rows = rows.filter((r) => compare(r, marker) > 0)
    }
    const page = rows.slice(0, limit)
    const tags = await loadTags(
      db,
      page.map((r) => r.id),
    )
    const last = page.at(-1)
    return {
      images: page.map((r) => toImage(r, tags.get(r.id) ?? [])),
      first: '/v2/images',
      schema: '/v2/schemas/images',
      ...(rows.length > limit && last ? { next: nextLink(req.url, last.id) } : {}),
    }
  })
}

/** The same query with the page's last id as marker, so the next page keeps filters and order. */
function nextLink(url: string, lastId: string): string {
  const params = new URL(url, 'http://x').searchParams
  params.delete('marker')
  params.append('marker', lastId)
  return `/v2/images?${params.toString()}`
}

/** Query parameters Glance does not know are filters on extra properties (`?os_distro=x`). */
function extraFilters(query: Record<string, unknown>): [string, string][] {
  return Object.entries(query)
    .filter(([k]) => !KNOWN.has(k))
    .map(([k, v]) => [k, Array.isArray(v) ? String(v.at(-1)) : String(v)])
}

function matchesExtra(row: ImageRow, filters: [string, string][]): boolean {
  if (filters.length === 0) return true
  const extra = parseExtra(row.extra)
  return filters.every(([k, v]) => extra[k] === v)
}

/** Booleans as oslo's `bool_from_string` reads them: openstacksdk sends `os_hidden=True`. */
function queryBool(name: string, value: string): boolean {
  const v = value.trim().toLowerCase()
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false
  throw new BadRequest(`Invalid value for '${name}': ${value} is not a boolean.`)
}
