import { TerminalError, type Clock, type Logger } from '@tricircle/core'
import type { Kysely } from '@tricircle/store'
import { isoTime, toJob, type Job, type JobTables } from './db.js'
import { finishFailure, finishSuccess } from './finish.js'
import type { JobType } from './registry.js'
import { renewLease, type ClaimedRow } from './store.js'

/** Does one job's work. Idempotent: a job may run again after a crash or a lost lease. */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>

export interface Runner {
  db: Kysely<JobTables>
  clock: Clock
  log: Logger
  owner: string
  leaseMs: number
  handlers: Partial<Record<JobType, JobHandler>>
  backoff: { baseMs: number; maxMs: number }
  /** True once the worker is stopping: an interrupted job is not the job's fault. */
  stopping(): boolean
}

/**
 * Runs one claimed row: renews its lease while the handler works (aborting the handler's signal
 * if the lease is lost), then records SUCCESS or FAIL. Resolves with the retry delay when the
 * job failed and will be retried, else undefined. Never rejects.
 */
export async function runClaimed(
  r: Runner,
  row: ClaimedRow,
  controller: AbortController,
): Promise<number | undefined> {
  const job = toJob({ ...row, status: 'RUNNING', attempts: row.attempts + 1 })
  const log = r.log.child({ job: job.id, type: job.type, resource: job.resourceId })
  const renew = setInterval(() => {
    renewLease(r.db, row.seq, r.owner, isoTime(r.clock.now() + r.leaseMs))
      .then((held) => {
        if (!held) controller.abort(new Error('lease lost'))
      })
      .catch((error: unknown) => log.warn({ err: error }, 'lease renewal failed'))
  }, r.leaseMs / 3)
  try {
    const handler = r.handlers[job.type as JobType]
    if (!handler) throw new TerminalError(`no handler for job type ${job.type}`)
    await handler(job, controller.signal)
    clearInterval(renew)
    if (await finishSuccess(r.db, row, r.owner, isoTime(r.clock.now()))) {
      log.debug('job succeeded')
    } else {
      log.warn('lease lost before success was recorded; the job will run again')
    }
    return undefined
  } catch (error) {
    clearInterval(renew)
    return recordFailure(r, row, job, error, log).catch((e: unknown) => {
      log.error({ err: e }, 'recording a job failure failed; its lease will expire')
      return undefined
    })
  }
}

async function recordFailure(r: Runner, row: ClaimedRow, job: Job, error: unknown, log: Logger) {
  const terminal = error instanceof TerminalError
  const { baseMs, maxMs } = r.backoff
  const delayMs = r.stopping() ? 0 : Math.min(maxMs, baseMs * 2 ** (job.attempts - 1))
  const nowMs = r.clock.now()
  const retryAt = terminal ? null : isoTime(nowMs + delayMs)
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000)
  const recorded = await finishFailure(r.db, row, r.owner, isoTime(nowMs), message, retryAt)
  if (!recorded) log.warn({ err: error }, 'job failed after its lease was lost')
  else if (terminal) log.error({ err: error }, 'job failed permanently')
  else log.warn({ err: error, attempts: job.attempts, retryInMs: delayMs }, 'job failed')
  return recorded && !terminal ? delayMs : undefined
}
