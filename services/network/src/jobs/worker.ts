import { performance } from 'node:perf_hooks'
import { uuid, type Clock, type Logger } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'
import { isoTime, type JobTables } from './db.js'
import { pruneSucceeded } from './finish.js'
import type { JobQueue } from './queue.js'
import type { JobType } from './registry.js'
import { runClaimed, type JobHandler, type Runner } from './runner.js'
import * as store from './store.js'

export type { JobHandler } from './runner.js'

export interface JobWorkerOptions<DB extends JobTables> {
  db: Kysely<DB>
  queue: JobQueue
  /** Types without a handler are left to other workers. */
  handlers: Partial<Record<JobType, JobHandler>>
  clock: Clock
  log: Logger
  /** Keys run at once by this worker. Default 4. */
  concurrency?: number
  /** How long a claim lasts without renewal; renewed every third of it. Default 30 s. */
  leaseMs?: number
  /** How often to look for rows other processes wrote. Default 1 s. */
  pollMs?: number
  /** Retry delay after the n-th failed run of a row: baseMs·2ⁿ⁻¹, at most maxMs. */
  backoff?: { baseMs: number; maxMs: number }
  /** SUCCESS rows older than this are deleted. Default 7 days. */
  retentionMs?: number
}

export interface JobWorker {
  /** Look for work now. */
  wake(): void
  /** Stops claiming, signals running handlers and waits for them to be recorded. */
  stop(): Promise<void>
  /** Resolves once no runnable job remains and nothing runs here (for tests and benchmarks). */
  drain(): Promise<void>
}

/** A hinted row still invisible after this long was rolled back (or polling will find it). */
const HINT_TTL_MS = 2000
const PRUNE_EVERY_MS = 60_000

/**
 * Runs jobs from the table. A scan finds keys with due work, claims each key's newest pending
 * row and runs it; a finished run wakes the next scan, which picks up anything enqueued for the
 * key meanwhile. Enqueues wake it at once (rows written in a transaction are watched until the
 * commit shows them); our own failures set a timer for their retry; a poll (which also fails
 * expired leases) catches rows written by other processes.
 */
export function startJobWorker<DB extends JobTables>(options: JobWorkerOptions<DB>): JobWorker {
  const db = options.db as unknown as Kysely<JobTables>
  const { clock, handlers } = options
  const owner = `worker-${uuid()}`
  const log = options.log.child({ component: 'jobs', worker: owner })
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const leaseMs = options.leaseMs ?? 30_000
  const pollMs = options.pollMs ?? 1000
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000
  const types = Object.entries(handlers)
    .filter(([, h]) => h)
    .map(([t]) => t)

  const running = new Map<number, AbortController>()
  const inFlight = new Set<Promise<void>>()
  const hints = new Map<string, number>() // job id → when we heard of it
  let hintDelayMs = 2
  let stopped = false
  let scanning: Promise<void> | undefined
  let rescan = false
  let timer: NodeJS.Timeout | undefined
  let iterations = 0
  let lastPrune = -Infinity
  let lastHousekeeping = -Infinity
  let housekeepingDue = true
  const retryTimers = new Set<NodeJS.Timeout>()
  let drainWaiters: { after: number; resolve: () => void }[] = []

  const runner: Runner = {
    db,
    clock,
    log,
    owner,
    leaseMs,
    handlers,
    backoff: options.backoff ?? { baseMs: 100, maxMs: 30_000 },
    stopping: () => stopped,
  }

  const unsubscribe = options.queue.subscribe((jobId) => {
    // Bounded: past a burst this size, the poll is quick enough.
    if (jobId !== undefined && hints.size < 500) hints.set(jobId, performance.now())
    wake()
  })

  function wake(): void {
    if (stopped) return
    if (scanning) rescan = true
    else schedule(0)
  }

  function schedule(ms: number): void {
    clearTimeout(timer)
    timer = setTimeout(() => void scan(), ms)
  }

  async function scan(): Promise<void> {
    timer = undefined
    if (stopped || scanning) return
    let delayMs = pollMs
    scanning = (async () => {
      do {
        rescan = false
        delayMs = await scanOnce()
      } while ((rescan || delayMs === 0) && !stopped)
    })().catch((error: unknown) => {
      log.warn({ err: error }, 'job scan failed; retrying at the next poll')
      delayMs = pollMs
    })
    await scanning
    scanning = undefined
    if (stopped) return
    if (rescan) schedule(0)
    else schedule(delayMs)
  }

  /** One pass; returns how long to sleep (0 = go again at once). */
  async function scanOnce(): Promise<number> {
    const iteration = ++iterations
    const nowMs = clock.now()
    const now = isoTime(nowMs)
    if (housekeepingDue || performance.now() - lastHousekeeping >= pollMs) {
      await housekeeping(nowMs)
    }
    const waitingForCommit = await checkHints()
    const slots = concurrency - running.size
    let keys = 0
    let claimed = 0
    let more = false
    if (slots > 0) {
      const limit = slots * 2
      const due = await store.findDue(db, now, types, limit)
      more = due.length === limit
      const newest = store.newestPerKey(due)
      keys = newest.length
      for (const row of newest) {
        if (stopped || running.size >= concurrency) break
        const taken = await store.claimKey(db, row, { owner, now, until: isoTime(nowMs + leaseMs) })
        if (taken) {
          claimed++
          start(taken)
        }
      }
    }
    if (keys === 0 && running.size === 0) settleDrains(iteration)
    if (running.size >= concurrency) return pollMs // a finishing run wakes the next scan
    if (more) return 0
    if (keys > claimed) return 10 // lost races to another worker; look again soon
    if (waitingForCommit) {
      hintDelayMs = Math.min(hintDelayMs * 2, 100)
      return hintDelayMs
    }
    hintDelayMs = 2
    return pollMs // our own retries set timers; other processes' rows wait for the poll
  }

  /** Fails expired leases and prunes history: each poll, not on every wake-up. */
  async function housekeeping(nowMs: number): Promise<void> {
    housekeepingDue = false
    lastHousekeeping = performance.now()
    const expired = await store.reclaimExpired(db, isoTime(nowMs))
    if (expired) log.warn({ expired }, 'jobs whose worker stopped renewing its lease will rerun')
    if (lastHousekeeping - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = lastHousekeeping
      const pruned = await pruneSucceeded(db, isoTime(nowMs - retentionMs))
      if (pruned) log.debug({ pruned }, 'old successful jobs deleted')
    }
  }

  /** True while a row enqueued in a transaction has not become visible yet. */
  async function checkHints(): Promise<boolean> {
    if (hints.size === 0) return false
    const ids = [...hints.keys()]
    const visible = await db.selectFrom('async_jobs').select('id').where('id', 'in', ids).execute()
    for (const { id } of visible) hints.delete(id)
    const t = performance.now()
    for (const [id, since] of hints) if (t - since > HINT_TTL_MS) hints.delete(id)
    return hints.size > 0
  }

  function start(row: store.ClaimedRow): void {
    const controller = new AbortController()
    running.set(row.seq, controller)
    const run = runClaimed(runner, row, controller).then((retryInMs) => {
      running.delete(row.seq)
      inFlight.delete(run)
      // Our own retries wake us when due; other processes' wait for the poll.
      if (retryInMs !== undefined && !stopped) {
        const retry = setTimeout(() => {
          retryTimers.delete(retry)
          wake()
        }, retryInMs)
        retryTimers.add(retry)
      }
      wake()
    })
    inFlight.add(run)
  }

  function settleDrains(iteration: number): void {
    const ready = drainWaiters.filter((w) => w.after <= iteration)
    drainWaiters = drainWaiters.filter((w) => w.after > iteration)
    for (const w of ready) w.resolve()
  }

  if (types.length === 0) log.warn('job worker started without handlers')
  schedule(0) // a restart picks up whatever earlier processes left

  return {
    wake,
    drain() {
      if (stopped) return Promise.resolve()
      // Only a pass that starts after this call may report "nothing left", and it also
      // fails expired leases, so a drain never overlooks a crashed worker's job.
      const after = iterations + 1
      housekeepingDue = true
      const done = new Promise<void>((resolve) => drainWaiters.push({ after, resolve }))
      wake()
      return done
    },
    async stop() {
      if (stopped) return
      stopped = true
      unsubscribe()
      clearTimeout(timer)
      for (const retry of retryTimers) clearTimeout(retry)
      for (const controller of running.values()) controller.abort(new Error('worker stopping'))
      await scanning
      await Promise.allSettled([...inFlight])
      clearTimeout(timer)
      for (const w of drainWaiters) w.resolve()
      drainWaiters = []
    },
  }
}
