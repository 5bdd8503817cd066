import type { FastifyRequest } from 'fastify'
import { BadRequest } from '@tricircle/core'

/** Tricircle's `pagination_max_limit`: also the page size when none (or ≤ 0) is asked for. */
export const MAX_LIMIT = 2000

/** The query string as single values (a repeated key keeps its last value). */
export function flatQuery(req: FastifyRequest): Record<string, string> {
  const query = (req.query ?? {}) as Record<string, string | string[] | undefined>
  const flat: Record<string, string> = {}
  for (const [key, value] of Object.entries(query)) {
    const last = Array.isArray(value) ? value.at(-1) : value
    if (last !== undefined) flat[key] = last
  }
  return flat
}

/** Only `allowed` keys (and limit, marker) may appear; Tricircle rejects unknown filters. */
export function checkFilters(query: Record<string, string>, allowed: readonly string[]): void {
  for (const key of Object.keys(query)) {
    if (key !== 'limit' && key !== 'marker' && !allowed.includes(key)) {
      throw new BadRequest(`Unsupported filter type: ${key}`)
    }
  }
}

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return MAX_LIMIT
  if (!/^-?\d+$/.test(raw.trim())) throw new BadRequest(`Limit must be an integer, not ${raw}.`)
  const limit = Number(raw)
  return limit <= 0 ? MAX_LIMIT : Math.min(limit, MAX_LIMIT)
}

/** A routing id: a positive integer that fits the column, or undefined. */
export function parseId(raw: string): number | undefined {
  if (!/^\d{1,10}$/.test(raw.trim())) return undefined
  const id = Number(raw)
  return id >= 1 && id <= 2 ** 31 - 1 ? id : undefined
}

/**
 * The link to the next page: the same filters (Tricircle dropped them, so page two listed
 * everything), the page size, and the last item as marker.
 */
export function nextLinks(
  path: string,
  query: Record<string, string>,
  limit: number,
  last: string | number | undefined,
  more: boolean,
): { rel: 'next'; href: string }[] {
  if (!more || last === undefined) return []
  const params = new URLSearchParams(query)
  params.set('limit', String(limit))
  params.set('marker', String(last))
  return [{ rel: 'next', href: `${path}?${params.toString()}` }]
}

/** Tricircle prints times as `2016-09-25 03:16:32`. */
export const showTime = (iso: string): string => iso.slice(0, 19).replace('T', ' ')

/** The ISO range [from, to) of one second written as Tricircle prints it (or as ISO-8601). */
export function secondRange(value: string): [string, string] {
  const text = value.trim().replace(' ', 'T')
  const ms = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`)
  if (Number.isNaN(ms) || Math.abs(ms) > 8.64e15 - 1000)
    throw new BadRequest(`Invalid time ${value}.`)
  const from = Math.floor(ms / 1000) * 1000
  return [new Date(from).toISOString(), new Date(from + 1000).toISOString()]
}
