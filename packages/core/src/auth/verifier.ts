import { jwtVerify, type JWTVerifyGetKey, type CryptoKey, type KeyObject } from 'jose'
import { Unauthorized } from '../errors.js'
import { systemClock, type Clock } from '../clock.js'
import type { AuthContext } from './context.js'
import type { RevocationList } from './revocations.js'
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, contextFromClaims } from './token-claims.js'

/** Turns an `X-Auth-Token` into the caller's identity, or throws Unauthorized. */
export interface TokenVerifier {
  verify(token: string): Promise<AuthContext>
}

export interface JwtVerifierOptions {
  /** Public keys: a local JWK set, or `createRemoteJWKSet(identity JWKS URL)`. */
  keys: JWTVerifyGetKey | CryptoKey | KeyObject
  revocations: RevocationList
  clock?: Clock
  /** How many verified tokens to remember (the signature check is the expensive part). */
  cacheSize?: number
}

const refused = () => new Unauthorized('The request you have made requires authentication.')

/**
 * Verifies tokens locally: signature, issuer and audience once per token (then cached), expiry and
 * revocation on every call, so a revoked token is refused as soon as its event arrives.
 */
export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const clock = options.clock ?? systemClock
  const maxEntries = options.cacheSize ?? 10_000
  const cache = new Map<string, AuthContext>()

  const check = (ctx: AuthContext) => {
    if (ctx.expiresAt <= clock.now() || options.revocations.isRevoked(ctx)) throw refused()
    return ctx
  }

  return {
    async verify(token) {
      const cached = cache.get(token)
      if (cached) return check(cached)
      let ctx: AuthContext
      try {
        const { payload } = await jwtVerify(token, options.keys as JWTVerifyGetKey, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          // Expiry is checked against our clock below, with millisecond precision.
          currentDate: new Date(0),
        })
        ctx = contextFromClaims(payload)
      } catch {
        throw refused()
      }
      check(ctx)
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!)
      cache.set(token, ctx)
      return ctx
    },
  }
}
