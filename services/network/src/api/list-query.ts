import { BadRequest } from '@tricircle/core'
import {
  isObject,
  matchesFilters,
  parseFilters,
  type FilterSpec,
  type ListFilter,
} from './list-filter.js'
import { compareItems, type SortDir, type SortSpec } from './list-order.js'
import { paginationLinks, queryPairs, type PaginationLink, type QueryInput } from './pagination.js'

/**
 * Neutron v2.0 list semantics over rendered API objects, shared by the central service (after a
 * coarse SQL pre-filter, see `list-filter.ts`'s `equalityFilters`) and the regional one (documents in memory).
 * `parseListQuery` validates the query once; `applyListQuery` filters, sorts, paginates and
 * projects; what a filter means is `list-filter.ts`'s. What Neutron does, and where it says so
 * (neutron 2131d26f, neutron-lib 6cd671a8):
 *
 * - **fields** (`api_common.list_args`, `resource_fields`): only the fields asked for are
 *   returned, `id` included only when asked for; unknown names are left out; empty values ignored.
 * - **Sorting** (`api_common.get_sorts`): `sort_key` and `sort_dir` come in equal numbers (else
 *   400), keys must be sortable (400 `['x'] is invalid attribute for sort_keys`), directions
 *   `asc`/`desc` (400). `id` ascending is appended unless sorted on, as native pagination does,
 *   so the order is total; without `sort_key` the order is by `id` (the primary key). Nulls sort
 *   lowest, as in `SortingEmulatedHelper` and MySQL; strings compare by code unit.
 * - **limit** (`get_limit_and_marker`): an integer ≥ 0; `0` (or none) means no pagination, and
 *   then `marker` and `page_reverse` are ignored. Anything else is a 400 `Bad limit request: Limit
 *   must be an integer 0 or greater and not 'x'.` A configured maximum clamps it and applies when
 *   no limit is given (`pagination_max_limit`).
 * - **marker** is the id of the last item seen; the page is what follows it in the sort order.
 *   It is positioned by its sort values, like native pagination's `marker_obj`, so it need not
 *   match the filters. Neutron's answer to an unknown marker differs per resource (networks and
 *   ports: 404 `NetworkNotFound`; OVO resources: marker ignored; emulated: empty page); here it is
 *   a 400 `Bad marker request: Marker x could not be found.` — an error rather than a silently
 *   truncated or restarted walk, and a 400 because the list itself exists.
 * - **page_reverse** is true only for the string `true` (any case), as `get_page_reverse`; the
 *   page is then the `limit` items before the marker (or the last `limit`), in normal order.
 * - For repeated `limit`, `marker` or `page_reverse` the last value counts (webob `GET.get`).
 */

export interface ListSpec extends FilterSpec {
  /** The keys `sort_key` accepts; every attribute when not given. */
  sortKeys?: readonly string[]
}

export interface ParseOptions {
  /** Neutron's `pagination_max_limit`: caps `limit` and applies when none is given. */
  maxLimit?: number
}

export interface ParsedListQuery {
  filters: readonly ListFilter[]
  /** The projection, or `undefined` for every field. */
  fields: readonly string[] | undefined
  /** As requested; `applyListQuery` appends `id` ascending when it is not among them. */
  sorts: readonly SortSpec[]
  /** `undefined` when the list is not paginated. */
  limit: number | undefined
  /** Only set together with `limit`. */
  marker: string | undefined
  pageReverse: boolean
  /** The request's parameters in order, for the pagination links. */
  query: readonly (readonly [string, string])[]
}

export interface ApplyOptions {
  /** The collection's URL without a query, for `<collection>_links`. */
  baseUrl: string
  /**
   * The marker's rendered object when `items` may not hold it (a pre-filter left it out). Only
   * used when its id is the marker.
   */
  markerItem?: object | null
}

export interface ListResult<T> {
  items: Partial<T>[]
  /** For `<collection>_links`; empty (leave the key out) when the list was not paginated. */
  links: PaginationLink[]
}

/** Validates a list request's query string against a resource's spec. */
export function parseListQuery(
  query: QueryInput,
  spec: ListSpec,
  options: ParseOptions = {},
): ParsedListQuery {
  const pairs = queryPairs(query)
  const grouped = new Map<string, string[]>()
  for (const [key, value] of pairs) {
    const values = grouped.get(key)
    if (values) values.push(value)
    else grouped.set(key, [value])
  }
  const all = (key: string) => grouped.get(key) ?? []
  const last = (key: string) => all(key).at(-1)

  const filters = parseFilters(grouped, spec)

  const fieldList = all('fields').filter((f) => f !== '')
  const sorts = parseSorts(
    all('sort_key'),
    all('sort_dir'),
    spec.sortKeys ?? Object.keys(spec.attributes),
  )
  let limit = parseLimit(last('limit'))
  const max = options.maxLimit
  if (max !== undefined && max > 0) limit = Math.min(max, limit) || max
  const marker = limit ? last('marker') || undefined : undefined
  return {
    filters,
    fields: fieldList.length > 0 ? [...new Set(fieldList)] : undefined,
    sorts,
    limit: limit || undefined,
    marker,
    pageReverse: (last('page_reverse') ?? 'False').toLowerCase() === 'true',
    query: pairs,
  }
}

/** Filters, sorts, paginates and projects rendered objects as a Neutron list would. */
export function applyListQuery<T extends object>(
  items: readonly T[],
  parsed: ParsedListQuery,
  options: ApplyOptions,
): ListResult<T> {
  const compare = compareItems(parsed.sorts)
  const sorted = items.filter((item) => matchesFilters(item, parsed.filters)).sort(compare)
  const { limit, pageReverse } = parsed
  let page: T[] = sorted
  if (limit) {
    let from = 0
    let to = sorted.length
    if (parsed.marker !== undefined) {
      const marker = findMarker(items, parsed.marker, options.markerItem)
      // Positioned by its sort values; the marker itself is never on the page.
      const firstWhere = (test: (order: number) => boolean) => {
        const i = sorted.findIndex((item) => test(compare(item, marker)))
        return i === -1 ? sorted.length : i
      }
      if (pageReverse) to = firstWhere((order) => order >= 0)
      else from = firstWhere((order) => order > 0)
    }
    page = pageReverse
      ? sorted.slice(Math.max(to - limit, 0), to)
      : sorted.slice(from, from + limit)
  }
  const links = paginationLinks(options.baseUrl, parsed.query, {
    items: page,
    limit,
    pageReverse,
  })
  return { items: page.map((item) => project(item, parsed.fields)), links }
}

function findMarker(items: readonly object[], id: string, fallback: object | null | undefined) {
  const isMarker = (item: object | null | undefined): item is object =>
    isObject(item) && item.id === id
  const found = items.find(isMarker) ?? (isMarker(fallback) ? fallback : undefined)
  if (!found) throw new BadRequest(`Bad marker request: Marker ${id} could not be found.`)
  return found
}

function project<T extends object>(item: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields) return item
  const wanted = new Set(fields)
  return Object.fromEntries(Object.entries(item).filter(([k]) => wanted.has(k))) as Partial<T>
}

/** `_get_limit_param`: 0 when absent. */
function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 0
  if (/^\s*[+-]?\d+\s*$/.test(raw)) {
    const limit = Number(raw.trim())
    if (limit >= 0) return limit
    raw = String(limit)
  }
  throw new BadRequest(`Bad limit request: Limit must be an integer 0 or greater and not '${raw}'.`)
}

/** `get_sorts`: pairs of `sort_key` and `sort_dir`, empty values dropped. */
function parseSorts(
  rawKeys: readonly string[],
  rawDirs: readonly string[],
  sortable: readonly string[],
): SortSpec[] {
  const keys = rawKeys.filter((k) => k !== '')
  const dirs = rawDirs.filter((d) => d !== '')
  if (keys.length !== dirs.length)
    throw new BadRequest('The number of sort_keys and sort_dirs must be same')
  const absent = keys.filter((k) => !sortable.includes(k))
  if (absent.length > 0)
    throw new BadRequest(`${pyList(absent)} is invalid attribute for sort_keys`)
  const invalid = dirs.filter((d) => d !== 'asc' && d !== 'desc')
  if (invalid.length > 0)
    throw new BadRequest(
      `${pyList(invalid)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`,
    )
  return keys.map((key, i) => ({ key, dir: dirs[i] as SortDir }))
}

/** A list of strings as Python prints it, for Neutron's messages. */
function pyList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`
}
