import { createRemoteJWKSet } from 'jose'
import {
  RevocationList,
  createJwtVerifier,
  systemClock,
  type Clock,
  type Logger,
  type TokenVerifier,
} from '@tricircle/core'
import { requestJson } from './http.js'
import type { IdentitySession } from './identity-session.js'

interface EventsBody {
  events: {
    id: number
    issued_before_ms: number
    audit_id?: string
    user_id?: string
    project_id?: string
    domain_id?: string
  }[]
}

export interface RemoteVerifier {
  verifier: TokenVerifier
  /** Loads every current revocation event; call before serving requests. */
  sync(signal?: AbortSignal): Promise<void>
  /** Long-polls the identity service for new events until `signal` fires. */
  follow(signal: AbortSignal): Promise<void>
}

/**
 * How a service other than identity checks tokens: signatures against the identity service's
 * published keys (fetched once, refetched for an unknown key id), and revocation against events
 * it follows with a long-poll, so a revoked token is refused here within moments of the
 * revocation and no request waits on the identity service.
 */
export function createRemoteVerifier(options: {
  identityUrl: string
  session: IdentitySession
  log: Logger
  clock?: Clock
  /** How long one long-poll waits for news, in seconds. */
  waitSeconds?: number
}): RemoteVerifier {
  const base = options.identityUrl.replace(/\/+$/, '')
  const revocations = new RevocationList()
  const verifier = createJwtVerifier({
    keys: createRemoteJWKSet(new URL(`${base}/v3/OS-TRICIRCLE/jwks`)),
    revocations,
    clock: options.clock ?? systemClock,
  })

  const poll = async (waitSeconds: number, signal?: AbortSignal) => {
    const res = await requestJson<EventsBody>(
      `${base}/v3/OS-REVOKE/events?since_id=${revocations.latestId}&wait=${waitSeconds}`,
      {
        headers: { 'x-auth-token': await options.session.token() },
        ...(signal ? { signal } : {}),
      },
    )
    revocations.add(
      res.body.events.map((e) => ({
        id: e.id,
        issuedBefore: e.issued_before_ms,
        ...(e.audit_id ? { auditId: e.audit_id } : {}),
        ...(e.user_id ? { userId: e.user_id } : {}),
        ...(e.project_id ? { projectId: e.project_id } : {}),
        ...(e.domain_id ? { domainId: e.domain_id } : {}),
      })),
    )
  }

  return {
    verifier,
    sync: (signal) => poll(0, signal),
    async follow(signal) {
      let failures = 0
      while (!signal.aborted) {
        try {
          await poll(options.waitSeconds ?? 25, signal)
          failures = 0
        } catch (error) {
          if (signal.aborted) break
          failures++
          options.log.warn({ err: error, failures }, 'following token revocations failed; retrying')
          await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 5_000)))
        }
      }
    },
  }
}
