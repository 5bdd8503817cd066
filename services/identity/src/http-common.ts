import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Forbidden, caller, isAdmin, type AuthContext } from '@tricircle/core'

/** The base URL the caller used, so links and discovery point where the client already is. */
export function baseUrl(req: FastifyRequest): string {
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? req.protocol
  return `${proto}://${req.headers.host ?? req.hostname}`
}

/** Keystone's `links` object on a collection. */
export function collectionLinks(req: FastifyRequest) {
  return { self: `${baseUrl(req)}${req.url}`, previous: null, next: null }
}

export const selfLink = (req: FastifyRequest, path: string) => ({
  self: `${baseUrl(req)}/v3/${path}`,
})

/** The caller, who must hold the admin role. */
export function requireAdmin(req: FastifyRequest): AuthContext {
  const ctx = caller(req)
  if (!isAdmin(ctx)) throw new Forbidden('You are not authorized to perform the requested action.')
  return ctx
}

export const forbidden = () =>
  new Forbidden('You are not authorized to perform the requested action.')

export const flag = (v: boolean | undefined, fallback = true): number => ((v ?? fallback) ? 1 : 0)

/** Free-form attributes Keystone keeps and echoes; the named columns win over them. */
export function parseExtra(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

export function pickExtra(body: Record<string, unknown>, known: readonly string[]): string {
  const extra: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) if (!known.includes(k)) extra[k] = v
  return JSON.stringify(extra)
}

/** A PATCH's free-form attributes laid over the stored ones. */
export function mergeExtra(
  stored: string,
  body: Record<string, unknown>,
  known: readonly string[],
): string {
  return JSON.stringify({
    ...parseExtra(stored),
    ...(JSON.parse(pickExtra(body, known)) as object),
  })
}

/** Common field schemas, with Keystone's limits. */
export const Name = (max = 64) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' })
export const Description = Type.Union([Type.String(), Type.Null()])
export const Id = Type.String({ minLength: 1, maxLength: 64 })
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) })
export const Enabled = Type.Boolean()
