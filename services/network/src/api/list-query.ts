import { BadRequest } from '@tricircle/core'
import { compareItems, type SortDir, type SortSpec } from './list-order.js'
import { paginationLinks, queryPairs, type PaginationLink, type QueryInput } from './pagination.js'

/**
 * Neutron v2.0 list semantics over rendered API objects, shared by the central service (after a
 * coarse SQL pre-filter, see `equalityFilters`) and the regional one (documents in memory).
 * `parseListQuery` validates the query once; `applyListQuery` filters, sorts, paginates and
 * projects. What Neutron does, and where it says so (neutron 2131d26f, neutron-lib 6cd671a8):
 *
 * - **Filters** (`api_common.get_filters_from_dict`, `model_query.apply_filters`): one query key
 *   per attribute; repeated values are OR (`?id=a&id=b`), different keys AND. Values are compared
 *   exactly, so an unknown or non-UUID `id` simply matches nothing. Empty values are filters too
 *   (`?device_id=` lists unbound ports: the `empty-string-filtering` extension); an empty string
 *   never matches a null attribute (SQL `'' <> NULL`), so `?gateway_ip=` does not find subnets
 *   without a gateway. Booleans go through `convert_to_boolean` (oslo strict: true/false, t/f,
 *   yes/no, y/n, on/off, 1/0, any case) and integers through `convert_to_int`; a bad value is a
 *   400 `Invalid input for operation: 'x' cannot be converted to boolean.`
 * - **Unknown keys are ignored**, as Neutron does without the `filter-validation` extension
 *   (with it Neutron answers 400 `['x'] is invalid attribute for filtering`). Lenient, because
 *   clients send filters for attributes other deployments have.
 * - **List attributes** (`security_groups`, `availability_zone_hints`): an item matches if its
 *   list holds any of the values (ML2 `_get_ports_query` turns `security_groups` into "bound to
 *   any of these groups").
 * - **Tags** (`neutron/objects/tag.py` `_apply_tag_filters`): `tags` = has all, `tags-any` = has
 *   at least one, `not-tags` = lacks at least one (NOT all), `not-tags-any` = has none. Values
 *   may also be comma-separated: `tags=a,b` is `tags=a&tags=b`.
 * - **fixed_ips** (`db_base_plugin_v2._get_ports_query`, ML2 `_get_ports_query`): repeated
 *   `key=value` strings (`convert_kvp_list_to_dict`; a string without `=` is a 400). Each key is
 *   checked on its own: some fixed IP has one of the `ip_address` values, AND some fixed IP — not
 *   necessarily the same one — has one of the `subnet_id` values, AND some fixed IP contains one
 *   of the `ip_address_substr` values (SQL `LIKE '%v%'`, taken here as a plain substring). Other
 *   keys are ignored; `fixed_ips=True` is no filter.
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

export type AttributeType = 'string' | 'boolean' | 'integer' | 'list'

export interface AttributeSpec {
  type: AttributeType
  /**
   * Applied to each filter value before comparing, like Neutron's `convert_to`, for attributes it
   * canonicalises (`mac_address` lower-cased, `cidr`/`gateway_ip` canonical); may throw a
   * `BadRequest`. (Not called `normalize`: `String.prototype.normalize` would then break the
   * contextual typing of `{ type: 'string', convert: (v) => … }` in a `ListSpec`.)
   */
  convert?: (value: string) => string
}

export interface ListSpec {
  /** The filterable attributes of the rendered objects and their types. */
  attributes: Readonly<Record<string, AttributeType | AttributeSpec>>
  /** The keys `sort_key` accepts; every attribute when not given. */
  sortKeys?: readonly string[]
  /** `tags`, `tags-any`, `not-tags`, `not-tags-any`; on unless `false` (standard attributes). */
  tags?: boolean
  /** The ports' `fixed_ips` filter. */
  fixedIps?: boolean
}

export interface ParseOptions {
  /** Neutron's `pagination_max_limit`: caps `limit` and applies when none is given. */
  maxLimit?: number
}

export type ScalarValue = string | number | boolean
export type TagMode = 'all' | 'any' | 'not-all' | 'not-any'

export type ListFilter =
  /** The attribute equals one of the values. */
  | { kind: 'equals'; attribute: string; values: readonly ScalarValue[] }
  /** The list attribute holds one of the values. */
  | { kind: 'contains'; attribute: string; values: readonly string[] }
  | { kind: 'tags'; mode: TagMode; tags: readonly string[] }
  /** Each present key must be satisfied by some fixed IP (not necessarily the same one). */
  | {
      kind: 'fixed_ips'
      subnetIds?: readonly string[]
      ipAddresses?: readonly string[]
      ipAddressSubstrings?: readonly string[]
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

const PAGING_KEYS = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse'])
const TAG_MODES: Readonly<Record<string, TagMode>> = {
  tags: 'all',
  'tags-any': 'any',
  'not-tags': 'not-all',
  'not-tags-any': 'not-any',
}

/** Neutron's InvalidInput: a 400 whose `NeutronError.type` says so. */
class InvalidInput extends BadRequest {
  constructor(detail: string) {
    super(`Invalid input for operation: ${detail}.`)
  }
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

  const filters: ListFilter[] = []
  for (const [key, values] of grouped) {
    if (PAGING_KEYS.has(key)) continue
    const tagMode = Object.hasOwn(TAG_MODES, key) ? TAG_MODES[key] : undefined
    if (tagMode !== undefined) {
      if (spec.tags !== false) filters.push({ kind: 'tags', mode: tagMode, tags: tagList(values) })
      continue
    }
    if (key === 'fixed_ips' && spec.fixedIps) {
      const filter = fixedIpsFilter(values)
      if (filter) filters.push(filter)
      continue
    }
    const attr = Object.hasOwn(spec.attributes, key) ? spec.attributes[key] : undefined
    if (attr === undefined) continue
    const { type, convert } = typeof attr === 'string' ? { type: attr, convert: undefined } : attr
    const norm = (v: string) => (convert ? convert(v) : v)
    switch (type) {
      case 'string':
        filters.push({ kind: 'equals', attribute: key, values: values.map(norm) })
        break
      case 'boolean':
        filters.push({ kind: 'equals', attribute: key, values: values.map(toBoolean) })
        break
      case 'integer':
        filters.push({ kind: 'equals', attribute: key, values: values.map(toInteger) })
        break
      case 'list':
        filters.push({ kind: 'contains', attribute: key, values: values.map(norm) })
        break
    }
  }

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

/**
 * The equality filters on plain columns, for a caller to push into SQL as `column IN (...)` before
 * `applyListQuery` checks everything again. `columns` lists the attributes that are columns of
 * the same name, or maps attributes to columns; two attributes on one column (`tenant_id` and
 * `project_id`) intersect. Booleans stay booleans; list, tag and fixed-IP filters are never
 * included. A column whose rendered value is computed (e.g. `shared` through RBAC) must not be
 * named.
 */
export function equalityFilters(
  parsed: ParsedListQuery,
  columns: readonly string[] | Readonly<Record<string, string>>,
): Record<string, ScalarValue[]> {
  const columnOf = (attribute: string): string | undefined => {
    if (isStringArray(columns)) return columns.includes(attribute) ? attribute : undefined
    return Object.hasOwn(columns, attribute) ? columns[attribute] : undefined
  }
  const out = new Map<string, ScalarValue[]>()
  for (const filter of parsed.filters) {
    if (filter.kind !== 'equals') continue
    const column = columnOf(filter.attribute)
    if (column === undefined) continue
    const seen = out.get(column)
    out.set(
      column,
      seen ? seen.filter((v) => filter.values.includes(v)) : [...new Set(filter.values)],
    )
  }
  return Object.fromEntries(out)
}

function matchesTags(mode: TagMode, wanted: readonly string[], tags: Set<unknown>): boolean {
  const has = (t: string) => tags.has(t)
  switch (mode) {
    case 'all':
      return wanted.every(has)
    case 'any':
      return wanted.some(has)
    case 'not-all':
      return !wanted.every(has)
    case 'not-any':
      return !wanted.some(has)
  }
}

function isStringArray(
  columns: readonly string[] | Readonly<Record<string, string>>,
): columns is readonly string[] {
  return Array.isArray(columns)
}

/** Whether a rendered object passes every filter. */
export function matchesFilters(item: object, filters: readonly ListFilter[]): boolean {
  const get = (key: string) => (item as Record<string, unknown>)[key]
  return filters.every((filter) => {
    switch (filter.kind) {
      case 'equals': {
        const value = get(filter.attribute)
        return filter.values.some((v) => v === value)
      }
      case 'contains': {
        const value = get(filter.attribute)
        return Array.isArray(value) && filter.values.some((v) => value.includes(v))
      }
      case 'tags': {
        const value = get('tags')
        return matchesTags(filter.mode, filter.tags, new Set(Array.isArray(value) ? value : []))
      }
      case 'fixed_ips': {
        const value = get('fixed_ips')
        const ips = (Array.isArray(value) ? value : []).filter(isObject)
        const some = (key: string, test: (v: string) => boolean) =>
          ips.some((ip) => typeof ip[key] === 'string' && test(ip[key]))
        const { subnetIds, ipAddresses, ipAddressSubstrings } = filter
        return (
          (!subnetIds || some('subnet_id', (v) => subnetIds.includes(v))) &&
          (!ipAddresses || some('ip_address', (v) => ipAddresses.includes(v))) &&
          (!ipAddressSubstrings ||
            some('ip_address', (v) => ipAddressSubstrings.some((s) => v.includes(s))))
        )
      }
    }
  })
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** `_get_tag_list`: every value split on commas, duplicates dropped. */
function tagList(values: readonly string[]): string[] {
  return [...new Set(values.flatMap((v) => v.split(',')))]
}

/** `convert_kvp_list_to_dict` on the `fixed_ips` values; `undefined` when it asks for nothing. */
function fixedIpsFilter(values: readonly string[]): ListFilter | undefined {
  if (values.length === 1 && values[0] === 'True') return undefined
  const byKey = new Map<string, string[]>()
  for (const raw of values) {
    const eq = raw.indexOf('=')
    const key = eq === -1 ? '' : raw.slice(0, eq).trim()
    if (!key) throw new InvalidInput(`'${raw}' is not of the form <key>=[value]`)
    const value = raw.slice(eq + 1).trim()
    const list = byKey.get(key)
    if (list) list.push(value)
    else byKey.set(key, [value])
  }
  const subnetIds = byKey.get('subnet_id')
  const ipAddresses = byKey.get('ip_address')
  const ipAddressSubstrings = byKey.get('ip_address_substr')
  if (!subnetIds && !ipAddresses && !ipAddressSubstrings) return undefined
  return {
    kind: 'fixed_ips',
    ...(subnetIds ? { subnetIds } : {}),
    ...(ipAddresses ? { ipAddresses } : {}),
    ...(ipAddressSubstrings ? { ipAddressSubstrings } : {}),
  }
}

const TRUE = new Set(['1', 't', 'true', 'on', 'y', 'yes'])
const FALSE = new Set(['0', 'f', 'false', 'off', 'n', 'no'])

/** oslo `bool_from_string(strict=True)`, as `convert_to_boolean`. */
function toBoolean(raw: string): boolean {
  const v = raw.trim().toLowerCase()
  if (TRUE.has(v)) return true
  if (FALSE.has(v)) return false
  throw new InvalidInput(`'${raw}' cannot be converted to boolean`)
}

/** Python's `int()` on a decimal string, as `convert_to_int`. */
function toInteger(raw: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new InvalidInput(`'${raw}' is not an integer`)
  return Number(raw.trim())
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
