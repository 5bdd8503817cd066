import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Forbidden, Unauthorized } from '../errors.js'
import type { AuthContext } from '../auth/context.js'
import { hasRole } from '../auth/context.js'
import type { TokenVerifier } from '../auth/verifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, when the request carried a valid X-Auth-Token. */
    auth: AuthContext | undefined
  }
  interface FastifyContextConfig {
    /** Routes anyone may call without a token (discovery, token issue). */
    public?: boolean
  }
}

/**
 * Registers the shared auth hook: a valid `X-Auth-Token` sets `req.auth`; a missing or invalid one
 * is a 401 on every route not marked `config: { public: true }`. A token on a public route is
 * still verified, so handlers can use it when present.
 */
export function useAuth(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest('auth', undefined)
  app.addHook('onRequest', async (req) => {
    const token = req.headers['x-auth-token']
    const isPublic = req.routeOptions.config.public === true
    if (typeof token !== 'string' || token === '') {
      if (isPublic) return
      throw new Unauthorized('The request you have made requires authentication.')
    }
    try {
      req.auth = await verifier.verify(token)
    } catch (error) {
      if (!isPublic) throw error
    }
  })
}

/** The caller of a route that requires a token. */
export function caller(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new Unauthorized('The request you have made requires authentication.')
  return req.auth
}

/** Throws 403 unless the caller has `role` (with Keystone's implied roles). */
export function requireRole(ctx: AuthContext, role: string): void {
  if (!hasRole(ctx, role)) {
    throw new Forbidden('You are not authorized to perform the requested action.')
  }
}
