import { ApiError, neutronFault, type Fault, type Logger } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import { CentralUnavailable } from '../errors.js'

/** The header telling central which region a call comes from. */
export const REGION_HEADER = 'x-tricircle-region'

export interface CentralAnswer<T = unknown> {
  status: number
  /** Central's JSON body; `undefined` for an empty one (a 204). */
  body: T
}

/**
 * An error answer of the central service, carried through the region unchanged: same status,
 * same body (a `NeutronError` such as `IpAddressGenerationFailure` reaches the client as central
 * wrote it). The local app's fault renders it with `localFault`.
 */
export class CentralFault extends ApiError {
  override readonly status: number
  readonly body: unknown

  constructor(status: number, body: unknown) {
    super(messageOf(body) ?? `central network service answered ${status}`)
    this.status = status
    this.body = body
  }
}

/** Neutron's fault body, except that a central answer passes through as central wrote it. */
export const localFault: Fault = {
  body: (error, requestId) =>
    error instanceof CentralFault && error.body !== undefined
      ? error.body
      : neutronFault.body(error, requestId),
}

/** Whether a failed read should fall back to the region's copies: central is not answering. */
export function centralIsDown(error: unknown): boolean {
  if (error instanceof CentralUnavailable) return true
  return error instanceof CentralFault && [502, 503, 504].includes(error.status)
}

export interface CentralClientOptions {
  /** Central's Neutron endpoint; may carry a path prefix. */
  url: string
  /** This region's name, sent on every call (`x-tricircle-region`). */
  region: string
  /** The region service's own token (its service user's), for calls of its own. */
  serviceToken: () => Promise<string>
  /** A call taking longer counts as central being unreachable. */
  timeoutMs?: number
  log?: Logger
}

export interface CallOptions {
  body?: unknown
  /** Forwarded as `x-openstack-request-id`, so one request can be followed into central. */
  requestId?: string
}

/**
 * The region's client of the central network service. Calls made for a caller carry the
 * caller's token, so central applies its visibility and policy to the caller itself; calls the
 * region needs for its own bookkeeping (full views with provider and binding attributes, the
 * per-region gateway port) carry the service user's. Every call names the region. A connection
 * failure or timeout is `CentralUnavailable` (503); any HTTP answer is returned as it came.
 * Connections are kept alive by fetch's (undici's) pool.
 */
export class CentralClient {
  readonly region: string
  readonly #base: string
  readonly #serviceToken: () => Promise<string>
  readonly #timeoutMs: number
  readonly #log: Logger | undefined

  constructor(options: CentralClientOptions) {
    this.region = options.region
    this.#base = options.url.replace(/\/+$/, '')
    this.#serviceToken = options.serviceToken
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.#log = options.log
  }

  /** One call with the given token; never throws for an HTTP status. */
  async call<T = unknown>(
    token: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CentralAnswer<T>> {
    const url = `${this.#base}${path}`
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-auth-token': token,
      [REGION_HEADER]: this.region,
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    if (options.requestId) headers['x-openstack-request-id'] = options.requestId
    let res: Response
    let text: string
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      text = await res.text()
    } catch (cause) {
      const e = cause as Error & { cause?: { code?: string } }
      const reason =
        e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : describe(e)
      this.#log?.warn({ method, path: path.split('?')[0], reason }, 'central unreachable')
      throw new CentralUnavailable(reason)
    }
    return { status: res.status, body: parseBody(text, res.status) as T }
  }

  /** A call as the request's caller (its own token and request id). */
  async forCaller<T = unknown>(
    req: FastifyRequest,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<CentralAnswer<T>> {
    const token = req.headers['x-auth-token']
    return this.call<T>(typeof token === 'string' ? token : '', method, path, {
      body,
      requestId: req.id,
    })
  }

  /** A call as the region service's own user. */
  async asService<T = unknown>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CentralAnswer<T>> {
    return this.call<T>(await this.#serviceToken(), method, path, options)
  }
}

/** The body of a successful answer; an error answer is thrown as a `CentralFault`. */
export function ok<T>(answer: CentralAnswer<T>): T {
  if (answer.status >= 400) throw new CentralFault(answer.status, answer.body)
  return answer.body
}

function parseBody(text: string, status: number): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    // A proxy's page rather than central's JSON: keep the status, give it Neutron's shape.
    return {
      NeutronError: {
        type: status >= 500 ? 'HTTPServiceUnavailable' : 'HTTPError',
        message: text.trim().slice(0, 200),
        detail: '',
      },
    }
  }
}

function messageOf(body: unknown): string | undefined {
  const b = body as { NeutronError?: { message?: unknown }; message?: unknown } | undefined
  const message = b?.NeutronError?.message ?? b?.message
  return typeof message === 'string' ? message : undefined
}

function describe(e: Error & { cause?: { code?: string; message?: string } }): string {
  return e.cause?.code ?? e.cause?.message ?? e.message
}
