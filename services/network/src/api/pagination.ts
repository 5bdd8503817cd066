/**
 * Neutron's `<collection>_links`: the `next` and `previous` hrefs of a paginated list, built as
 * `neutron/api/api_common.py` (`get_pagination_links`, `get_next_link`, `get_previous_link`)
 * builds them:
 *
 * - no links at all unless a `limit` is in force;
 * - `next` unless the page came back short while paging forward (the last page), with the
 *   page's last id as `marker` and no `page_reverse`;
 * - `previous` unless the page came back short while paging backwards (the first page), with
 *   the page's first id as `marker` and `page_reverse=True`. So a forward first page has a
 *   `previous` link too, as Neutron's own api-ref example shows;
 * - every other parameter of the request (filters, `fields`, `sort_key`/`sort_dir`, `limit`) is
 *   kept, repeated keys included, in the order it came; `marker` and `page_reverse` go last.
 *   An empty page has no id to point from, so its link has no `marker` at all.
 */

/** A query string as the routes see it (Fastify's parsed object), or its ordered pairs. */
export type QueryInput =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | URLSearchParams
  | readonly (readonly [string, string])[]

export interface PaginationLink {
  rel: 'next' | 'previous'
  href: string
}

export interface Page {
  /** The page as returned (before any `fields` projection, so ids are present). */
  items: readonly object[]
  /** The limit in force; `undefined` or 0 means the list was not paginated. */
  limit: number | undefined
  pageReverse: boolean
  /** The primary key; Neutron's is `id` for every resource. */
  idKey?: string
}

/** The query's key/value pairs in order; a repeated key contributes one pair per value. */
export function queryPairs(query: QueryInput): [string, string][] {
  if (query instanceof URLSearchParams) return [...query.entries()]
  if (isPairs(query)) return query.map(([k, v]) => [k, v])
  const pairs: [string, string][] = []
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (typeof value === 'string') pairs.push([key, value])
    else for (const v of value) pairs.push([key, v])
  }
  return pairs
}

function isPairs(query: QueryInput): query is readonly (readonly [string, string])[] {
  return Array.isArray(query)
}

/**
 * The `<collection>_links` array for a page; empty when the list was not paginated, in which
 * case the response leaves the key out (as Neutron does).
 *
 * `baseUrl` is the collection's URL without a query, e.g. `http://h:9696/v2.0/networks`
 * (Neutron uses the request's own URL; openstacksdk also follows relative `/v2.0/...` links).
 */
export function paginationLinks(baseUrl: string, query: QueryInput, page: Page): PaginationLink[] {
  const { items, limit, pageReverse } = page
  if (!limit) return []
  const idKey = page.idKey ?? 'id'
  const base = baseUrl.replace(/[?#].*$/, '')
  const kept = queryPairs(query).filter(([k]) => k !== 'marker' && k !== 'page_reverse')
  const href = (pairs: [string, string][]) => `${base}?${new URLSearchParams(pairs).toString()}`
  const idOf = (item: object | undefined) =>
    item === undefined ? undefined : String((item as Record<string, unknown>)[idKey])
  const short = items.length < limit
  const links: PaginationLink[] = []
  if (!(short && !pageReverse)) {
    const last = idOf(items.at(-1))
    links.push({ rel: 'next', href: href(last === undefined ? kept : [...kept, ['marker', last]]) })
  }
  if (!(short && pageReverse)) {
    const first = idOf(items[0])
    const pairs: [string, string][] = first === undefined ? [...kept] : [...kept, ['marker', first]]
    pairs.push(['page_reverse', 'True'])
    links.push({ rel: 'previous', href: href(pairs) })
  }
  return links
}
