import { Type } from 'typebox'
import { BadRequest, Conflict, NotFound, type App } from '@tricircle/core'
import { isForeignKeyViolation, isUniqueViolation, type Selectable } from '@tricircle/store'
import type { AdminDeps } from './app.js'
import type { RoutingRow } from './db.js'
import {
  checkFilters,
  flatQuery,
  nextLinks,
  parseId,
  parseLimit,
  secondRange,
  showTime,
} from './paging.js'

/** The resource types the Admin API lets an operator route by hand (Tricircle's list). */
export const ROUTABLE_TYPES = [
  'network',
  'subnet',
  'port',
  'router',
  'security_group',
  'trunk',
  'port_pair',
  'port_pair_group',
  'flow_classifier',
  'port_chain',
  'qos_policy',
] as const

const FIELDS = ['top_id', 'bottom_id', 'pod_id', 'project_id', 'resource_type'] as const
type Field = (typeof FIELDS)[number]
const FILTERS = ['id', ...FIELDS, 'created_at', 'updated_at'] as const

const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const RoutingFields = Type.Object(
  {
    top_id: Text(127),
    bottom_id: Text(36),
    pod_id: Text(36),
    project_id: Text(64),
    resource_type: Text(64),
  },
  { additionalProperties: false },
)
const RoutingBody = Type.Object({ routing: RoutingFields })
const IdParams = Type.Object({ id: Type.String() })

type Row = Selectable<RoutingRow>
const view = (row: Row) => ({
  id: Number(row.id),
  top_id: row.top_id,
  bottom_id: row.bottom_id,
  pod_id: row.pod_id,
  project_id: row.project_id,
  resource_type: row.resource_type,
  created_at: showTime(row.created_at),
  updated_at: showTime(row.updated_at),
})

/** Resource routings: which copy of a central resource lives in which pod. */
export function routingRoutes(app: App, { db, clock }: AdminDeps): void {
  const find = (id: number | undefined) =>
    id === undefined
      ? Promise.resolve(undefined)
      : db.selectFrom('resource_routings').selectAll().where('id', '=', id).executeTakeFirst()
  const mustFind = async (raw: string) => {
    const row = await find(parseId(raw))
    if (!row) throw new NotFound(`Resource routing ${raw} could not be found.`)
    return row
  }
  /** Each given field must be non-blank, a known type, and name an existing pod. */
  const checkFields = async (given: Partial<Record<Field, string>>) => {
    for (const field of FIELDS) {
      const value = given[field]
      if (value !== undefined && value.trim() === '') {
        throw new BadRequest(`Field ${field} can not be empty.`)
      }
    }
    const type = given.resource_type
    if (type !== undefined && !(ROUTABLE_TYPES as readonly string[]).includes(type)) {
      throw new BadRequest(`There is no such resource type: ${type}.`)
    }
    if (given.pod_id !== undefined) {
      const pod = await db
        .selectFrom('pods')
        .select('pod_id')
        .where('pod_id', '=', given.pod_id)
        .executeTakeFirst()
      if (!pod) throw new BadRequest(`Pod ${given.pod_id} doesn't exist.`)
    }
  }
  const duplicate = () =>
    new Conflict('A routing with this top_id, pod_id and resource_type already exists.')
  const write = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicate()
      if (isForeignKeyViolation(error)) throw new BadRequest('The pod does not exist.')
      throw error
    }
  }

  app.get('/v1.0/routings', async (req) => {
    const query = flatQuery(req)
    checkFilters(query, FILTERS)
    const limit = parseLimit(query.limit)
    let q = db.selectFrom('resource_routings').selectAll()
    for (const key of FILTERS) {
      const value = query[key]
      if (value === undefined) continue
      if (key === 'id') {
        if (!/^\d+$/.test(value.trim())) {
          throw new BadRequest(`Filter id must be an integer, not ${value}.`)
        }
        q = q.where('id', '=', parseId(value) ?? 0) // too large for the column: matches nothing
      } else if (key === 'created_at' || key === 'updated_at') {
        const [from, to] = secondRange(value)
        q = q.where(key, '>=', from).where(key, '<', to)
      } else {
        q = q.where(key, '=', value)
      }
    }
    if (query.marker !== undefined) {
      const marker = await find(parseId(query.marker))
      if (!marker) throw new BadRequest(`Marker ${query.marker} is an invalid ID.`)
      q = q.where('id', '<', marker.id)
    }
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute()
    const page = rows.slice(0, limit)
    return {
      routings: page.map(view),
      routings_links: nextLinks(
        '/v1.0/routings',
        query,
        limit,
        page.at(-1)?.id,
        rows.length > limit,
      ),
    }
  })

  app.get('/v1.0/routings/:id', { schema: { params: IdParams } }, async (req) => ({
    routing: view(await mustFind(req.params.id)),
  }))

  app.post('/v1.0/routings', { schema: { body: RoutingBody } }, async (req) => {
    const given = req.body.routing
    for (const field of FIELDS) {
      if (given[field] === undefined) throw new BadRequest(`Field ${field} can not be empty.`)
    }
    await checkFields(given)
    const now = new Date(clock.now()).toISOString()
    const row = await write(
      db
        .insertInto('resource_routings')
        .values({
          top_id: given.top_id!,
          bottom_id: given.bottom_id!,
          pod_id: given.pod_id!,
          project_id: given.project_id!,
          resource_type: given.resource_type!,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    )
    return { routing: view(row) }
  })

  app.put(
    '/v1.0/routings/:id',
    { schema: { params: IdParams, body: RoutingBody } },
    async (req) => {
      const current = await mustFind(req.params.id)
      const given = req.body.routing
      if (Object.keys(given).length === 0) throw new BadRequest('No routing field to update.')
      await checkFields(given)
      const now = new Date(clock.now()).toISOString()
      const row = await write(
        db
          .updateTable('resource_routings')
          .set({ ...given, updated_at: now })
          .where('id', '=', current.id)
          .returningAll()
          .executeTakeFirst(),
      )
      if (!row) throw new NotFound(`Resource routing ${req.params.id} could not be found.`)
      return { routing: view(row) }
    },
  )

  app.delete('/v1.0/routings/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const { id } = await mustFind(req.params.id)
    await db.deleteFrom('resource_routings').where('id', '=', id).execute()
    // Tricircle answers 200 with an empty body here.
    return reply.code(200).send()
  })
}
