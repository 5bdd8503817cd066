import type { FastifyRequest } from 'fastify'
import { equalityFilters, type ScalarValue } from './api/list-filter.js'
import { applyListQuery, parseListQuery, type ListSpec } from './api/list-query.js'
import type { QueryInput } from './api/pagination.js'
import { requestBase } from './common.js'

export type { ListSpec } from './api/list-query.js'

/**
 * Plain equality filters from the query string (`?name=a&name=b`) on columns the loader named,
 * to narrow its SQL; the exact Neutron semantics are applied afterwards over the rendered
 * objects, so a loader may ignore any of them.
 */
export type PreFilter = Partial<Record<string, ScalarValue[]>>

/** Neutron's `pagination_max_limit`-style cap, so one list cannot render a whole table. */
const MAX_LIMIT = 10_000

/**
 * A Neutron list response: the loader reads candidate rows (narrowed by `pre` on the columns it
 * lists) and renders them; filters, sorting, pagination (`<plural>_links`) and field selection
 * follow.
 */
export async function listResponse(
  req: FastifyRequest,
  plural: string,
  spec: ListSpec,
  load: (pre: PreFilter) => Promise<object[]>,
  columns: readonly string[] = ['id', 'name'],
): Promise<Record<string, unknown>> {
  const parsed = parseListQuery(req.query as QueryInput, spec, { maxLimit: MAX_LIMIT })
  const items = await load(equalityFilters(parsed, columns))
  let markerItem: object | null | undefined
  if (parsed.marker && !items.some((i) => (i as { id?: string }).id === parsed.marker)) {
    markerItem = (await load({ id: [parsed.marker] }))[0] ?? null
  }
  const { items: page, links } = applyListQuery(items, parsed, {
    baseUrl: requestBase(req),
    markerItem,
  })
  // Only a paginated request (an explicit limit) shows links, as Neutron does.
  const paginated = new URLSearchParams(req.url.split('?')[1] ?? '').has('limit')
  return { [plural]: page, ...(paginated && links.length ? { [`${plural}_links`]: links } : {}) }
}
