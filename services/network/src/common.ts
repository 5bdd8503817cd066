import { BadRequest, isoSeconds } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import type { NetworkDatabase } from './db.js'

/** Standard attributes of a resource row, as every Neutron object shows them. */
export function standardView(row: {
  id: string
  project_id: string
  name?: string
  description: string
  revision_number: number
  created_at: string
  updated_at: string
}) {
  return {
    id: row.id,
    ...(row.name === undefined ? {} : { name: row.name }),
    tenant_id: row.project_id,
    project_id: row.project_id,
    description: row.description,
    revision_number: Number(row.revision_number),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export const parseJson = <T>(text: string): T => JSON.parse(text) as T

export const timestamp = (ms: number): string => isoSeconds(ms)

/** Tags of each resource of one type, sorted, for rendering. */
export async function tagsOf(
  db: NetworkDatabase,
  type: string,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (ids.length === 0) return out
  for (const chunk of chunks(ids, 500)) {
    const rows = await db
      .selectFrom('tags')
      .select(['resource_id', 'tag'])
      .where('resource_type', '=', type)
      .where('resource_id', 'in', chunk)
      .orderBy('tag')
      .execute()
    for (const r of rows) {
      const list = out.get(r.resource_id)
      if (list) list.push(r.tag)
      else out.set(r.resource_id, [r.tag])
    }
  }
  return out
}

/** Splits a list so `IN (…)` stays under both engines' parameter limits. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * A create body holds one resource under the singular key or several under the plural key
 * (bulk create, all or nothing). Returns the items and which form was used.
 */
export function createItems<T>(
  body: Partial<Record<string, T | T[]>> | undefined,
  singular: string,
  plural: string,
): { items: T[]; bulk: boolean } {
  const one = body?.[singular]
  const many = body?.[plural]
  if (one !== undefined && many === undefined && !Array.isArray(one)) {
    return { items: [one], bulk: false }
  }
  if (many !== undefined && one === undefined && Array.isArray(many) && many.length > 0) {
    return { items: many, bulk: true }
  }
  throw new BadRequest(`Resource body required: '${singular}' or a non-empty '${plural}' list.`)
}

/** The URL this request reached, without its query, for pagination links. */
export function requestBase(req: FastifyRequest): string {
  const host = req.headers.host ?? 'localhost'
  return `${req.protocol}://${host}${req.url.split('?')[0]}`
}

export const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
export const isUuid = (s: string): boolean => new RegExp(UUID_PATTERN).test(s)
