import { Unauthorized } from '../errors.js'
import type { AuthContext } from './context.js'
import type { TokenVerifier } from './verifier.js'

/** A caller as a verified token would describe it, for tests and fixed-token set-ups. */
export const staticCaller = (user: string, projectId: string, roles: string[]): AuthContext => ({
  userId: user,
  projectId,
  roles,
  roleIds: roles,
  methods: ['password'],
  auditId: `audit-${user}`,
  issuedAt: 0,
  expiresAt: Number.MAX_SAFE_INTEGER,
})

/** A verifier that knows exactly these tokens; anything else is a 401. */
export const staticVerifier = (tokens: Record<string, AuthContext>): TokenVerifier => ({
  verify: async (token) => {
    // Own keys only: a token such as `toString` must not find Object.prototype's.
    const ctx = Object.hasOwn(tokens, token) ? tokens[token] : undefined
    if (!ctx) throw new Unauthorized('The request you have made requires authentication.')
    return ctx
  },
})
