/**
 * Generated requests: a case is abstract (indices into the service's routes, known ids and
 * tokens, plus hostile values) and `resolve` turns it into a concrete request at send time, so
 * ids created during the run can be used by later cases.
 */
import fc from 'fast-check'
import type { Route } from './routes.js'
import { kindOf, paramsOf } from './routes.js'
import { RAW_SEGMENTS, hostileText, hostileValue, toJsonText } from './values.js'

/** What a service gives the generator besides its routes. */
export interface RequestSpace {
  routes: Route[]
  /** Valid tokens of different roles; most cases use one. */
  tokens: string[]
  /** Query keys the service reads (`limit`, `marker`, filters…). */
  queryKeys: string[]
  /** Keys whose values must stay in a safe set (a long-poll's `wait`, say). */
  boundedQuery?: Record<string, string[]>
  /** Extra header names with interesting values (`openstack-api-version`…). */
  headers?: Record<string, string[]>
  /** Body templates by `METHOD /path/pattern`; a `$kind` string becomes a known id. */
  bodies: Record<string, unknown[]>
  /** Content types the service parses besides JSON. */
  contentTypes?: string[]
  /** The content type a route's bodies are sent with when not JSON, by `METHOD /path`. */
  bodyTypes?: Record<string, string>
}

export interface Resolved {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  route: Route
}

type Pick = { t: 'known'; i: number } | { t: 'text'; s: string } | { t: 'raw'; s: string }
type Op = { op: 'set' | 'delete' | 'add' | 'wrap'; path: number[]; key: string; value: unknown }
type Body =
  | { t: 'none' }
  | { t: 'template'; i: number; ops: Op[] }
  | { t: 'json'; value: unknown }
  | { t: 'text'; s: string }

export interface Case {
  route: number
  method: string | null
  params: Pick[]
  query: [string, Pick][]
  /** Send the first query key twice (`?a=1&a=2`), which parsers turn into an array. */
  repeat: boolean
  token: { t: 'valid'; i: number } | { t: 'none' } | { t: 'bad'; s: string } | { t: 'tampered' }
  headers: [string, number | string][]
  contentType: string | null
  body: Body
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const COMMON_QUERY = [
  'limit',
  'marker',
  'sort_key',
  'sort_dir',
  'sort',
  'fields',
  'page_reverse',
  'name',
  'id',
  'project_id',
  'tenant_id',
  'all_projects',
  'all_tenants',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
  '__proto__',
  'constructor',
]
const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'garbage',
  '',
]

const pick = (known: number): fc.Arbitrary<Pick> =>
  fc.oneof(
    { weight: known, arbitrary: fc.nat().map((i) => ({ t: 'known' as const, i })) },
    { weight: 2, arbitrary: hostileText.map((s) => ({ t: 'text' as const, s })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((s) => ({ t: 'raw' as const, s })),
    },
  )

const op: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom('set', 'set', 'set', 'delete', 'add', 'wrap'),
  path: fc.array(fc.nat(), { maxLength: 4 }),
  key: fc.oneof(fc.constantFrom('\u0001proto', 'constructor', 'id', ''), fc.string()),
  value: hostileValue,
})

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ t: 'none' as const }) },
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant('template' as const),
      i: fc.nat(),
      ops: fc.array(op, { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: hostileValue.map((value) => ({ t: 'json' as const, value })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constantFrom('{', '{"a":', '[1,', 'nul', '"x', '{}}', '\u0000', ' '), fc.string())
      .map((s) => ({ t: 'text' as const, s })),
  },
)

/** The arbitrary of cases over a service's request space. */
export function caseArbitrary(space: RequestSpace): fc.Arbitrary<Case> {
  const keys = [...new Set([...COMMON_QUERY, ...space.queryKeys])]
  const headerNames = Object.keys(space.headers ?? {})
  const types = [...CONTENT_TYPES, ...(space.contentTypes ?? [])]
  return fc.record({
    route: fc.nat({ max: space.routes.length - 1 }),
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, fc.constantFrom(...METHODS)),
    params: fc.array(pick(8), { minLength: 4, maxLength: 4 }),
    query: fc.array(
      fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...keys) }, fc.string()), pick(2)),
      { maxLength: 5 },
    ),
    repeat: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
    token: fc.oneof(
      { weight: 12, arbitrary: fc.nat().map((i) => ({ t: 'valid' as const, i })) },
      { weight: 1, arbitrary: fc.constant({ t: 'none' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'tampered' as const }) },
      { weight: 1, arbitrary: hostileText.map((s) => ({ t: 'bad' as const, s })) },
    ),
    headers: fc.array(
      fc.tuple(
        fc.constantFrom(...headerNames, 'x-openstack-request-id', 'accept'),
        fc.oneof(fc.nat(), hostileText),
      ),
      { maxLength: 2 },
    ),
    contentType: fc.oneof(
      { weight: 12, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: fc.constantFrom(...types) },
    ),
    body,
  })
}

/** Ids the run knows, by kind; a kind without ids borrows from every kind. */
export class IdPool {
  readonly #byKind = new Map<string, string[]>()
  readonly #aliases: Record<string, string>

  constructor(seed: Record<string, string[]>, aliases: Record<string, string> = {}) {
    for (const [kind, ids] of Object.entries(seed)) this.#byKind.set(kind, [...ids])
    this.#aliases = aliases
  }

  add(kind: string, id: string): void {
    const ids = this.#byKind.get(kind) ?? []
    // Bounded, so a long run keeps hitting the seeded resources too.
    if (ids.length < 40 && !ids.includes(id)) ids.push(id)
    this.#byKind.set(kind, ids)
  }

  get(kind: string, i: number): string {
    const ids = this.#byKind.get(this.#aliases[kind] ?? kind) ?? [...this.#byKind.values()].flat()
    return ids.length ? ids[i % ids.length]! : 'missing'
  }
}

/** Percent-encodes text; a lone surrogate (which encodeURIComponent refuses) goes raw. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    return '%ED%A0%80'
  }
}

/** Header values travel as latin1; anything else would never reach a server. */
const latin1 = (s: string) => s.replace(/[^\t\x20-\x7e\xa0-\xff]/g, '?')

function valueOf(p: Pick, kind: string, pool: IdPool): string {
  if (p.t === 'known') return encode(pool.get(kind, p.i))
  return p.t === 'text' ? encode(p.s) : p.s
}

/** Fills `$kind` placeholders in a template with known ids. */
function fill(value: unknown, pool: IdPool, n: number): unknown {
  if (typeof value === 'string' && value.startsWith('$')) return pool.get(value.slice(1), n)
  if (Array.isArray(value)) return value.map((v, i) => fill(v, pool, n + i))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v], i) => [k, fill(v, pool, n + i)]))
  }
  return value
}

/** Applies one mutation at the node `path` leads to (indices taken modulo the children). */
function mutate(root: unknown, { op, path, key, value: shared }: Op): unknown {
  // A copy: one generated value set twice must not become a cycle.
  const value = structuredClone(shared)
  if (op === 'wrap' && path.length === 0) return [root]
  let node = root
  for (const step of path) {
    if (!node || typeof node !== 'object') break
    const keys = Object.keys(node)
    if (keys.length === 0) break
    const child = (node as Record<string, unknown>)[keys[step % keys.length]!]
    if (!child || typeof child !== 'object') {
      if (op === 'add') break
      const k = keys[step % keys.length]!
      const obj = node as Record<string, unknown>
      if (op === 'delete') delete obj[k]
      else obj[k] = op === 'wrap' ? [obj[k]] : value
      return root
    }
    node = child
  }
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>
    const keys = Object.keys(obj)
    const k = keys.length && op !== 'add' ? keys[(path.at(-1) ?? 0) % keys.length]! : key
    if (op === 'delete') delete obj[k]
    else if (op === 'wrap') obj[k] = [obj[k]]
    // defineProperty, so a `__proto__`-like key is an own property, not a prototype change.
    else
      Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true })
  }
  return root
}

/** The concrete request of a case. */
export function resolve(c: Case, space: RequestSpace, pool: IdPool): Resolved {
  const route = space.routes[c.route]!
  const method = c.method ?? route.method
  let path = route.path
  paramsOf(route.path).forEach((name, i) => {
    path = path.replace(`:${name}`, valueOf(c.params[i]!, kindOf(route.path, name), pool))
  })
  const query = c.query.map(([key, p]) => {
    const bounded = space.boundedQuery?.[key]
    const v =
      bounded && p.t !== 'known'
        ? encode(bounded[p.t === 'text' ? p.s.length % bounded.length : 0]!)
        : valueOf(p, key.replace(/_id$/, ''), pool)
    return `${encode(key)}=${v}`
  })
  if (c.repeat && query.length > 0)
    query.push(`${query[0]!.split('=')[0]}=${query.at(-1)!.split('=')[1]}`)
  const headers: Record<string, string> = {}
  const token = c.token
  if (token.t === 'valid') headers['x-auth-token'] = space.tokens[token.i % space.tokens.length]!
  else if (token.t === 'bad') headers['x-auth-token'] = latin1(token.s)
  else if (token.t === 'tampered') headers['x-auth-token'] = `${space.tokens[0]!.slice(0, -2)}AA`
  for (const [name, v] of c.headers) {
    const known = space.headers?.[name] ?? []
    headers[name] = latin1(
      typeof v === 'number' && known.length ? known[v % known.length]! : `${v}`,
    )
  }
  const resolved: Resolved = {
    method,
    url: query.length ? `${path}?${query.join('&')}` : path,
    headers,
    route,
  }
  const templates = space.bodies[`${method} ${route.path}`] ?? []
  const b = c.body
  if (b.t === 'none') return resolved
  if (b.t === 'text') resolved.payload = b.s
  else if (b.t === 'json') resolved.payload = toJsonText(b.value)
  else {
    const base = templates.length ? templates[b.i % templates.length] : {}
    // structuredClone keeps templates pristine between cases.
    let value = fill(structuredClone(base), pool, b.i)
    for (const o of b.ops) value = mutate(value, o)
    resolved.payload = toJsonText(value)
  }
  headers['content-type'] =
    c.contentType ?? space.bodyTypes?.[`${method} ${route.path}`] ?? 'application/json'
  return resolved
}
