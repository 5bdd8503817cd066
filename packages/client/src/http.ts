import { errorForStatus, ServiceUnavailable } from '@tricircle/core'

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: unknown
  signal?: AbortSignal
}

/**
 * One JSON request to an OpenStack-style API. A fault body of any family becomes the matching
 * ApiError class (NotFound, Conflict, …), so callers catch by class across service boundaries;
 * a connection failure is ServiceUnavailable.
 */
export async function requestJson<T>(
  url: string,
  options: RequestOptions = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  let res: Response
  try {
    res = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch (cause) {
    if (options.signal?.aborted) throw cause
    throw new ServiceUnavailable(
      `cannot reach ${new URL(url).origin}: ${(cause as Error).message}`,
      { cause },
    )
  }
  const text = await res.text()
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
