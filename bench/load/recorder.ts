/**
 * The load's HTTP calls and what they are counted as: latency per service and operation, the
 * status of every answer, and every error by kind. Only a status the workload provokes on
 * purpose (`expect`) is an expected error; any other non-2xx answer, a timeout or a connection
 * failure is an error.
 */
import { percentile, round } from '../stats.js'

/** A request's budget; one that takes longer counts as a timeout. */
export const REQUEST_TIMEOUT_MS = 30_000

export interface CallOptions {
  /** `X-Auth-Token`; none for a login. */
  token?: string
  body?: unknown
  /** Sent as `application/octet-stream` instead of JSON. */
  raw?: Buffer
  headers?: Record<string, string>
  /** Non-2xx statuses the workload provokes deliberately. */
  expect?: number[]
}

export interface Answer {
  status: number
  ok: boolean
  headers: Headers
  body: any
}

interface Series {
  latencies: number[]
  statuses: Map<number, number>
}

export interface OperationSummary {
  service: string
  op: string
  count: number
  p50: number
  p99: number
  max: number
  statuses: Record<string, number>
}

export interface ErrorSummary {
  kind: string
  count: number
  example: string
}

export class Recorder {
  readonly #series = new Map<string, Series>()
  readonly #errors = new Map<string, { count: number; example: string }>()
  #expected = 0
  /** Off during set-up and clean-up: their errors still count, their latencies do not. */
  measuring = false

  /** One request, timed and counted under `service` and `op`. */
  async call(
    service: string,
    op: string,
    method: string,
    url: string,
    options: CallOptions = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(options.token ? { 'x-auth-token': options.token } : {}),
      ...options.headers,
    }
    let body: string | Buffer | undefined
    if (options.raw) {
      headers['content-type'] = 'application/octet-stream'
      body = options.raw
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const started = performance.now()
    let res: Response
    let text: string
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      text = await res.text()
    } catch (error) {
      const e = error as Error
      const kind = e.name === 'TimeoutError' ? 'timeout' : 'connection failure'
      this.error(`${service} ${op}: ${kind}`, `${method} ${url}: ${e.message}`)
      return { status: 0, ok: false, headers: new Headers(), body: undefined }
    }
    const ms = performance.now() - started
    const series = this.#seriesOf(service, op)
    if (this.measuring) series.latencies.push(ms)
    series.statuses.set(res.status, (series.statuses.get(res.status) ?? 0) + 1)
    const ok = res.status >= 200 && res.status < 300
    if (!ok && options.expect?.includes(res.status)) this.#expected++
    else if (!ok)
      this.error(`${service} ${op}: ${res.status}`, `${method} ${url}: ${text.slice(0, 300)}`)
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = text
    }
    return { status: res.status, ok, headers: res.headers, body: parsed }
  }

  /** An error found otherwise than by status (a container that went to Error, say). */
  error(kind: string, example: string): void {
    const entry = this.#errors.get(kind)
    if (entry) entry.count++
    else this.#errors.set(kind, { count: 1, example })
  }

  #seriesOf(service: string, op: string): Series {
    const key = `${service}\t${op}`
    let series = this.#series.get(key)
    if (!series) this.#series.set(key, (series = { latencies: [], statuses: new Map() }))
    return series
  }

  get expectedErrors(): number {
    return this.#expected
  }

  operations(): OperationSummary[] {
    return [...this.#series]
      .map(([key, s]) => {
        const [service, op] = key.split('\t') as [string, string]
        return {
          service,
          op,
          count: s.latencies.length,
          p50: round(percentile(s.latencies, 50), 1),
          p99: round(percentile(s.latencies, 99), 1),
          max: round(s.latencies.length ? Math.max(...s.latencies) : Number.NaN, 1),
          statuses: Object.fromEntries(s.statuses),
        }
      })
      .sort((a, b) => a.service.localeCompare(b.service) || a.op.localeCompare(b.op))
  }

  errors(): ErrorSummary[] {
    return [...this.#errors].map(([kind, e]) => ({ kind, ...e })).sort((a, b) => b.count - a.count)
  }
}
