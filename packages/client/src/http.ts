import { errorForStatus, ServiceUnavailable } from '@tricircle/core'

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: unknown
  signal?: AbortSignal
  /**
   * How long the whole exchange may take before it counts as the service being unreachable;
   * default {@link DEFAULT_TIMEOUT_MS} when no `signal` is given (a caller with a signal, such
   * as a long poll, sets its own bound).
   */
  timeoutMs?: number
}

/**
 * A peer behind a partition drops packets rather than refusing them: without a bound, a
 * request on a kept-alive connection would wait minutes. 15 s is far above any answer a
 * healthy service gives, and lets a write that needs an unreachable service fail with 503.
 */
export const DEFAULT_TIMEOUT_MS = 15_000

/**
 * One JSON request to an OpenStack-style API. A fault body of any family becomes the matching
 * ApiError class (NotFound, Conflict, …), so callers catch by class across service boundaries;
 * a connection failure is ServiceUnavailable.
 */
export async function requestJson<T>(
  url: string,
  options: RequestOptions = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  const timeoutMs = options.timeoutMs ?? (options.signal ? undefined : DEFAULT_TIMEOUT_MS)
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)
  const signal =
    timeout && options.signal
      ? AbortSignal.any([options.signal, timeout])
      : (timeout ?? options.signal)
  const unreachable = (cause: unknown) =>
    new ServiceUnavailable(
      timeout?.aborted
        ? `no answer from ${new URL(url).origin} within ${timeoutMs! / 1000} s`
        : `cannot reach ${new URL(url).origin}: ${(cause as Error).message}`,
      { cause },
    )
  let res: Response
  let text: string
  try {
    res = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(signal ? { signal } : {}),
    })
    text = await res.text()
  } catch (cause) {
    if (options.signal?.aborted) throw cause
    throw unreachable(cause)
  }
  if (res.status >= 400) {
    // Faults are JSON in every family we speak, but a proxy or Glance may answer in text or HTML.
    const detail = faultMessage(parseJson(text)) ?? text.trim().slice(0, 200)
    throw errorForStatus(res.status, detail || `${res.status} from ${url}`)
  }
  const body = text ? (JSON.parse(text) as unknown) : undefined
  return { status: res.status, headers: res.headers, body: body as T }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** The message in a Keystone, Neutron, Zun or libnetwork fault body. */
export function faultMessage(body: unknown): string | undefined {
  const b = body as {
    error?: { message?: string }
    NeutronError?: { message?: string }
    errors?: { detail?: string }[]
    Err?: string
  } | null
  return (
    b?.error?.message ?? b?.NeutronError?.message ?? b?.errors?.[0]?.detail ?? b?.Err ?? undefined
  )
}
