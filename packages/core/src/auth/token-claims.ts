import type { JWTPayload } from 'jose'
import type { AuthContext } from './context.js'

/** Issuer every Tricircle token carries. */
export const TOKEN_ISSUER = 'tricircle-identity'
/**
 * Audience every Tricircle token carries: the cloud's services. Services refuse a token signed
 * by the same key for any other audience, so a JWT minted for another purpose never passes.
 */
export const TOKEN_AUDIENCE = 'tricircle-services'
export const TOKEN_ALGORITHM = 'EdDSA'

/**
 * The payload of a Tricircle token: a compact JWS, signed by the identity service with Ed25519, so
 * every service verifies it with the public key alone. Times are fractional seconds, as JWT
 * allows: revocation compares them with millisecond precision.
 */
export interface TokenClaims extends JWTPayload {
  sub: string
  pid?: string
  did?: string
  rol: string[]
  rid: string[]
  mth: string[]
  jti: string
  iat: number
  exp: number
}

export function claimsFromContext(ctx: AuthContext): TokenClaims {
  return {
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: ctx.userId,
    ...(ctx.projectId ? { pid: ctx.projectId } : {}),
    ...(ctx.domainId ? { did: ctx.domainId } : {}),
    rol: [...ctx.roles],
    rid: [...ctx.roleIds],
    mth: [...ctx.methods],
    jti: ctx.auditId,
    iat: ctx.issuedAt / 1000,
    exp: ctx.expiresAt / 1000,
  }
}

export function contextFromClaims(c: JWTPayload): AuthContext {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [])
  if (typeof c.sub !== 'string' || typeof c.jti !== 'string') throw new Error('malformed claims')
  if (typeof c.iat !== 'number' || typeof c.exp !== 'number') throw new Error('malformed claims')
  return {
    userId: c.sub,
    ...(typeof c.pid === 'string' ? { projectId: c.pid } : {}),
    ...(typeof c.did === 'string' ? { domainId: c.did } : {}),
    roles: strings(c.rol),
    roleIds: strings(c.rid),
    methods: strings(c.mth),
    auditId: c.jti,
    issuedAt: Math.round(c.iat * 1000),
    expiresAt: Math.round(c.exp * 1000),
  }
}
