import { BadRequest } from '@tricircle/core'

/**
 * The filters of a Neutron v2.0 list (`list-query.ts` does the rest of a list request): parsed
 * from the query, checked against rendered objects, and the part of them SQL can pre-filter.
 * What Neutron does, and where it says so (neutron 2131d26f, neutron-lib 6cd671a8):
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

/** What a resource lets a list filter on. */
export interface FilterSpec {
  /** The filterable attributes of the rendered objects and their types. */
  attributes: Readonly<Record<string, AttributeType | AttributeSpec>>
  /** `tags`, `tags-any`, `not-tags`, `not-tags-any`; on unless `false` (standard attributes). */
  tags?: boolean
  /** The ports' `fixed_ips` filter. */
  fixedIps?: boolean
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

/** The query keys that shape a list rather than filter it. */
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

/**
 * The filters in a list request's query, grouped by key. Paging keys are not filters, and
 * neither are keys the spec does not name.
 */
export function parseFilters(
  grouped: ReadonlyMap<string, readonly string[]>,
  spec: FilterSpec,
): ListFilter[] {
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
    if (type === 'list') {
      filters.push({ kind: 'contains', attribute: key, values: values.map(norm) })
      continue
    }
    const scalar: (v: string) => ScalarValue =
      type === 'boolean' ? toBoolean : type === 'integer' ? toInteger : norm
    filters.push({ kind: 'equals', attribute: key, values: values.map(scalar) })
  }
  return filters
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
  parsed: { readonly filters: readonly ListFilter[] },
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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
