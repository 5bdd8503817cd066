import { systemClock, type Clock } from './clock.js'
import { TerminalError } from './errors.js'
import type { Logger } from './log.js'

/**
 * Converges actual state towards desired state one key at a time, in controller-runtime's
 * level-triggered style: a key says only *what* to look at; `reconcile` reads both states itself,
 * so a missed or repeated event costs nothing but a redundant, idempotent call.
 */
export interface Reconciler {
  readonly name: string
  /** Keys that should be checked now (desired ∪ actual), for the periodic resync. */
  list(signal: AbortSignal): Promise<string[]>
  /** Converge one key. Idempotent. */
  reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void>
}

export interface Controller {
  /** Asks for `key` to be reconciled as soon as possible (event sources call this). */
  enqueue(key: string): void
  /** Resolves when the loop has stopped: the signal fired and in-flight work has finished. */
  readonly done: Promise<void>
  /** How many keys are waiting or running (for tests and metrics). */
  readonly pending: number
  /** Resolves once nothing is queued, running or listing (or the loop has stopped). */
  idle(): Promise<void>
}

export interface ControllerOptions {
  log: Logger
  /** How often every key from `list()` is enqueued, to catch anything events missed. */
  resyncMs: number
  /** Keys reconciled at once, overall; one key never runs twice at once. Default 1. */
  concurrency?: number
  /** Retry delay after the n-th consecutive failure of a key: baseMs·2ⁿ⁻¹, at most maxMs. */
  backoff?: { baseMs: number; maxMs: number }
  /** Up to this fraction is added to each retry delay, so failing keys spread out. Default 0.1. */
  jitter?: number
  clock?: Clock
}

/** Runs `r` until `signal` aborts. Never rejects; errors are logged and retried. */
export function runController(
  r: Reconciler,
  opts: ControllerOptions,
  signal: AbortSignal,
): Controller {
  const log = opts.log.child({ controller: r.name })
  const clock = opts.clock ?? systemClock
  const concurrency = Math.max(1, opts.concurrency ?? 1)
  const { baseMs, maxMs } = opts.backoff ?? { baseMs: 500, maxMs: 60_000 }
  const jitter = opts.jitter ?? 0.1

  const queue = new Map<string, number>() // key → dueAt (ms); a Map dedupes for free
  const running = new Set<string>()
  const failures = new Map<string, number>() // key → consecutive failures
  let listing = false
  let pumpScheduled = false
  let wakeTimer: NodeJS.Timeout | undefined
  let resyncTimer: NodeJS.Timeout | undefined
  let idleWaiters: (() => void)[] = []
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))

  /** Adds a key; if it is already waiting, the earlier due time wins. */
  function add(key: string, delayMs: number): void {
    if (signal.aborted) return
    const dueAt = clock.now() + Math.max(0, delayMs)
    const queued = queue.get(key)
    if (queued !== undefined && queued <= dueAt) return
    queue.delete(key) // re-inserting moves the key to the back: Map order is our FIFO
    queue.set(key, dueAt)
    schedulePump()
  }

  // Coalesces many adds (a resync of thousands of keys) into one scan of the queue.
  function schedulePump(): void {
    if (pumpScheduled) return
    pumpScheduled = true
    queueMicrotask(pump)
  }

  /** Starts every due key that is not running, up to the cap; sleeps until the next due time. */
  function pump(): void {
    pumpScheduled = false
    clearTimeout(wakeTimer)
    wakeTimer = undefined
    if (signal.aborted) return settle()
    const now = clock.now()
    let next = Infinity
    for (const [key, dueAt] of queue) {
      if (running.has(key)) continue // it runs again once the current run finishes
      if (dueAt > now) next = Math.min(next, dueAt)
      else if (running.size < concurrency) {
        queue.delete(key)
        void run(key)
      }
    }
    if (next < Infinity) wakeTimer = setTimeout(pump, next - now)
    settle()
  }

  async function run(key: string): Promise<void> {
    running.add(key)
    try {
      const result = await r.reconcile(key, signal)
      failures.delete(key)
      if (result?.requeueAfterMs !== undefined) add(key, result.requeueAfterMs)
    } catch (error) {
      if (signal.aborted) {
        log.debug({ err: error, key }, 'reconcile interrupted by shutdown')
      } else if (error instanceof TerminalError) {
        // Retrying cannot help; the reconciler has recorded the error state on the resource.
        failures.delete(key)
        log.error({ err: error, key }, 'reconcile failed permanently')
      } else {
        const attempt = (failures.get(key) ?? 0) + 1
        failures.set(key, attempt)
        const delayMs = retryDelay(attempt)
        log.warn({ err: error, key, attempt, retryInMs: delayMs }, 'reconcile failed; will retry')
        add(key, delayMs)
      }
    } finally {
      running.delete(key)
      schedulePump()
    }
  }

  function retryDelay(attempt: number): number {
    const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1))
    return Math.min(maxMs, Math.round(exponential * (1 + jitter * Math.random())))
  }

  async function resync(): Promise<void> {
    resyncTimer = undefined
    listing = true
    try {
      for (const key of await r.list(signal)) add(key, 0)
    } catch (error) {
      if (!signal.aborted) log.warn({ err: error }, 'listing keys failed; retrying at next resync')
    } finally {
      listing = false
    }
    // Chained rather than setInterval, so a slow list() never overlaps the next one.
    if (!signal.aborted) resyncTimer = setTimeout(() => void resync(), opts.resyncMs)
    settle()
  }

  /** Resolves idle waiters and, once stopped and drained, `done`. */
  function settle(): void {
    const quiet = running.size === 0 && !listing
    if (quiet && queue.size === 0) {
      for (const wake of idleWaiters) wake()
      idleWaiters = []
    }
    if (quiet && signal.aborted) {
      signal.removeEventListener('abort', stop)
      resolveDone()
    }
  }

  function stop(): void {
    // Whatever is still queued is dropped: the next process's first resync finds it again.
    queue.clear()
    clearTimeout(wakeTimer)
    clearTimeout(resyncTimer)
    settle()
  }

  signal.addEventListener('abort', stop, { once: true })
  if (signal.aborted) stop()
  else void resync()

  return {
    enqueue: (key) => add(key, 0),
    done,
    get pending() {
      let n = queue.size
      for (const key of running) if (!queue.has(key)) n++
      return n
    },
    idle() {
      const idle = new Promise<void>((resolve) => idleWaiters.push(resolve))
      settle()
      return idle
    },
  }
}
