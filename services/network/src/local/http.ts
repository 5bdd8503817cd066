import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CentralAnswer } from './central.js'
import type { Resource } from './db.js'

/** The request's query string as ordered pairs (repeated keys kept). */
export function queryOf(req: FastifyRequest): URLSearchParams {
  const i = req.url.indexOf('?')
  return new URLSearchParams(i === -1 ? '' : req.url.slice(i + 1))
}

/** The `fields` a request asks for, or undefined for all. */
export function requestedFields(query: URLSearchParams): string[] | undefined {
  const fields = query.getAll('fields').filter((f) => f !== '')
  return fields.length ? fields : undefined
}

/** Only the asked-for fields of a resource (Neutron's `fields` on a single GET). */
export function project(item: Resource, fields: readonly string[] | undefined): object {
  if (!fields) return item
  return Object.fromEntries(Object.entries(item).filter(([k]) => fields.includes(k)))
}

/**
 * The query with `fields` extended by what the region needs to read in the answer (only when
 * the caller narrowed the fields), and the names it added, to strip again.
 */
export function withFields(
  query: URLSearchParams,
  needed: readonly string[],
): { query: URLSearchParams; added: string[] } {
  const fields = requestedFields(query)
  if (!fields) return { query, added: [] }
  const added = needed.filter((f) => !fields.includes(f))
  const out = new URLSearchParams(query)
  for (const f of added) out.append('fields', f)
  return { query: out, added }
}

export const withoutKeys = (item: Record<string, unknown>, keys: readonly string[]) =>
  keys.length ? Object.fromEntries(Object.entries(item).filter(([k]) => !keys.includes(k))) : item

export function pathWithQuery(path: string, query: URLSearchParams): string {
  const q = query.toString()
  return q ? `${path}?${q}` : path
}

/**
 * Central's pagination links point at central; the client follows them, so they are moved to
 * this service's address (path and query stay: central's markers are valid ids here too).
 */
export function rewriteLinks(body: Record<string, unknown>, req: FastifyRequest): void {
  const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`
  for (const [key, value] of Object.entries(body)) {
    if (!key.endsWith('_links') || !Array.isArray(value)) continue
    body[key] = value.map((link: { href?: unknown }) => {
      if (typeof link.href !== 'string') return link
      const at = link.href.indexOf('/v2.0/')
      return at === -1 ? link : { ...link, href: `${base}${link.href.slice(at)}` }
    })
  }
}

/** Sends central's answer on unchanged: status and JSON body. */
export function passThrough(reply: FastifyReply, answer: CentralAnswer): FastifyReply {
  reply.code(answer.status)
  return answer.body === undefined ? reply.send() : reply.send(answer.body)
}
