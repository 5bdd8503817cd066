/**
 * Following the region's network service for changes, so the agent re-reads at once instead of
 * waiting for its next poll: a long-poll of `GET /v2.0/os-tricircle/changes` (held by the
 * service until something the agents read changes, then answered with the new revision).
 */
import { requestJson } from '@tricircle/client'
import type { Logger } from '@tricircle/core'

export interface WatchRegionOptions {
  /** The region's network service, e.g. `http://127.0.0.1:9697`. */
  readonly url: string
  /** A token of the services' user, asked for before every request (an `IdentitySession`'s). */
  readonly token: () => Promise<string>
  /** Ends the watch; a request in flight is abandoned. */
  readonly signal: AbortSignal
  /**
   * Called with the revision on the first answer and whenever it differs from the last one
   * seen. It says only that something changed: re-read (level-triggered), e.g. enqueue a
   * reconcile. Called synchronously from the loop, so keep it quick; a throw is logged.
   */
  readonly onChange: (revision: string) => void
  readonly log: Logger
  /**
   * Retry delays after a failure: `baseMs` doubling to `maxMs`, each drawn from its upper half.
   * Default 1 s to 30 s, as the agent's own.
   */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  /** How long the service may hold one request, in seconds (at most 60); default 25. */
  readonly waitSeconds?: number
}

/** Extra time a held request may take beyond `waitSeconds` before it counts as lost. */
const GRACE_MS = 10_000
/** An unchanged answer sooner than this was not held (a service closing, or one not holding). */
const EARLY_MS = 1_000

/**
 * Follows the region's changes until `signal` fires, then resolves; it never rejects. Failures
 * (the service unreachable, a 5xx, a refused token, a request that outlives `waitSeconds`)
 * are retried with jittered exponential backoff and do not call `onChange`; the first answer
 * after them calls it only if the revision moved meanwhile (a restarted service always has
 * moved: its revisions carry a new boot id). An unchanged answer that comes back early is
 * followed by a pause of `backoff.baseMs`, so a service that does not hold requests is polled,
 * not hammered.
 *
 * @example
 * void watchRegion({ url, token: () => session.token(), signal, log,
 *   onChange: () => l2.enqueue('l2') })
 */
export async function watchRegion(options: WatchRegionOptions): Promise<void> {
  const { signal, log } = options
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 30_000 }
  const waitSeconds = Math.min(Math.max(options.waitSeconds ?? 25, 0), 60)
  const base = options.url.replace(/\/+$/, '')
  let last: string | undefined
  let failures = 0
  while (!signal.aborted) {
    const began = performance.now()
    let revision: string
    try {
      revision = await nextRevision(base, last, waitSeconds, options)
    } catch (error) {
      if (signal.aborted) break
      failures++
      const detail = { err: error, url: base, failures }
      if (failures === 1) log.warn(detail, 'watching the region for changes failed; retrying')
      else log.debug(detail, 'watching the region for changes failed again')
      await pause(retryDelay(failures, backoff), signal)
      continue
    }
    if (failures > 0) log.info({ url: base, failures }, 'watching the region for changes again')
    failures = 0
    if (revision !== last) {
      last = revision
      notify(options, revision)
    } else if (performance.now() - began < Math.min(EARLY_MS, waitSeconds * 500)) {
      await pause(backoff.baseMs, signal)
    }
  }
}

async function nextRevision(
  base: string,
  since: string | undefined,
  waitSeconds: number,
  options: WatchRegionOptions,
): Promise<string> {
  const query = new URLSearchParams({ timeout: String(waitSeconds) })
  if (since !== undefined) query.set('since', since)
  const token = await options.token()
  const res = await requestJson<{ revision?: unknown }>(
    `${base}/v2.0/os-tricircle/changes?${query.toString()}`,
    {
      headers: { 'x-auth-token': token },
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(waitSeconds * 1000 + GRACE_MS)]),
    },
  )
  const revision = res.body?.revision
  if (typeof revision !== 'string' || !revision) throw new Error('the answer has no revision')
  return revision
}

function notify(options: WatchRegionOptions, revision: string): void {
  try {
    options.onChange(revision)
  } catch (error) {
    options.log.error({ err: error, revision }, 'a region change handler failed')
  }
}

/** Exponential from `baseMs`, capped at `maxMs`, drawn from the upper half so agents spread out. */
function retryDelay(failures: number, backoff: { baseMs: number; maxMs: number }): number {
  const ceiling = Math.min(backoff.baseMs * 2 ** (failures - 1), backoff.maxMs)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/** Resolves after `ms`, or at once when `signal` fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
