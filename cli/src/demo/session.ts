import { requestJson } from '@tricircle/client'
import { ApiError } from '@tricircle/core'
import type { CatalogService } from './catalog.js'
import type { Deadline } from './deadline.js'
import { tokensUrl, type OpenrcCredentials } from './openrc.js'

/** A project-scoped token with its catalog. */
export interface Session {
  token: string
  projectId: string
  catalog: CatalogService[]
}

interface TokenBody {
  token: { project?: { id: string }; catalog?: CatalogService[] }
}

/** `POST /v3/auth/tokens` with the password, scoped to the openrc's project, catalog included. */
export async function login(c: OpenrcCredentials, signal: AbortSignal): Promise<Session> {
  const url = tokensUrl(c.authUrl)
  let res: Awaited<ReturnType<typeof requestJson<TokenBody>>>
  try {
    res = await requestJson<TokenBody>(url, {
      method: 'POST',
      signal,
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: {
                name: c.username,
                domain: { name: c.userDomainName },
                password: c.password,
              },
            },
          },
          scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
        },
      },
    })
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    throw new Error(
      `cannot log in to the identity service at ${url} as ${c.username}: ${error.message}` +
        ' (is the cloud up? `tricircle up` starts it)',
      { cause: error },
    )
  }
  const token = res.headers.get('x-subject-token')
  const projectId = res.body.token.project?.id
  if (!token || !projectId) throw new Error(`${url} returned no project-scoped token`)
  return { token, projectId, catalog: res.body.token.catalog ?? [] }
}

/** The session's requests, bounded by a deadline. */
export class Client {
  constructor(
    readonly session: Session,
    readonly deadline: Deadline,
  ) {}

  get projectId(): string {
    return this.session.projectId
  }

  /** The same session under another deadline (cleanup gets its own). */
  under(deadline: Deadline): Client {
    return new Client(this.session, deadline)
  }

  async request<T>(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await requestJson<T>(url, {
      method,
      headers: { 'x-auth-token': this.session.token, ...headers },
      signal: this.deadline.signal,
      ...(body !== undefined ? { body } : {}),
    })
    return res.body
  }

  sleep(ms: number): Promise<void> {
    return this.deadline.sleep(ms)
  }
}

/** Whether `error` is an API answer with `status`. */
export const isStatus = (error: unknown, status: number): boolean =>
  error instanceof ApiError && error.status === status
