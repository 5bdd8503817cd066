import { systemClock, type Clock } from '@tricircle/core'
import { requestJson } from './http.js'

export interface Credentials {
  identityUrl: string
  username: string
  password: string
  userDomain?: string
  project: string
  projectDomain?: string
}

interface TokenBody {
  token: { expires_at: string }
}

/**
 * A service user's session with the identity service: one project-scoped token, renewed before
 * it expires, shared by every call the service makes.
 */
export class IdentitySession {
  #token: string | undefined
  #expiresAt = 0
  #pending: Promise<string> | undefined

  constructor(
    readonly credentials: Credentials,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A valid token, renewed when less than a tenth of its life (at most 5 minutes) remains. */
  async token(): Promise<string> {
    if (this.#token && this.clock.now() < this.#expiresAt) return this.#token
    this.#pending ??= this.#login().finally(() => (this.#pending = undefined))
    return this.#pending
  }

  async #login(): Promise<string> {
    const c = this.credentials
    const issuedAt = this.clock.now()
    const res = await requestJson<TokenBody>(
      `${c.identityUrl.replace(/\/+$/, '')}/v3/auth/tokens?nocatalog`,
      {
        method: 'POST',
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: {
                user: {
                  name: c.username,
                  domain: { name: c.userDomain ?? 'Default' },
                  password: c.password,
                },
              },
            },
            scope: { project: { name: c.project, domain: { name: c.projectDomain ?? 'Default' } } },
          },
        },
      },
    )
    const token = res.headers.get('x-subject-token')
    if (!token) throw new Error('identity service returned no X-Subject-Token')
    const expiresAt = Date.parse(res.body.token.expires_at)
    const margin = Math.min((expiresAt - issuedAt) / 10, 5 * 60_000)
    this.#token = token
    this.#expiresAt = expiresAt - margin
    return token
  }
}
