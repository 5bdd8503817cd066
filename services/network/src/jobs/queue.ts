import { BadRequest, Conflict, NotFound, uuid, type Clock, type Logger } from '@tricircle/core'
import type { Kysely, Transaction } from '@tricircle/store'
import { isoTime, toJob, type Job, type JobRow, type JobTables } from './db.js'
import { resourceIdFor, type JobType } from './registry.js'

export interface EnqueueRequest {
  type: JobType
  projectId: string
  resource: Record<string, string>
}

/** Called on every enqueue; `jobId` names a row that may not be committed yet. */
export type EnqueueListener = (jobId?: string) => void

export interface JobQueue {
  /**
   * Writes a NEW job row with `db`, which may be the caller's transaction so that the job commits
   * atomically with the change that needs it, and wakes the workers.
   */
  enqueue<DB extends JobTables>(
    db: Kysely<DB> | Transaction<DB>,
    request: EnqueueRequest,
  ): Promise<Job>
  get(id: string): Promise<Job | undefined>
  /** Re-queues a NEW or FAIL job to run now; RUNNING and SUCCESS jobs are refused (400). */
  redo(id: string): Promise<Job>
  /** Deletes a job that is not RUNNING (400 if it is). */
  remove(id: string): Promise<void>
  /** Wakes the workers, e.g. after rows were written some other way. */
  notify(): void
  subscribe(listener: EnqueueListener): () => void
}

export interface JobQueueOptions<DB extends JobTables> {
  db: Kysely<DB>
  clock: Clock
  log: Logger
}

export function createJobQueue<DB extends JobTables>(options: JobQueueOptions<DB>): JobQueue {
  const db = options.db as unknown as Kysely<JobTables>
  const { clock } = options
  const log = options.log.child({ component: 'jobs' })
  const listeners = new Set<EnqueueListener>()
  const tell = (jobId?: string) => {
    for (const listener of listeners) listener(jobId)
  }
  const find = (id: string) =>
    db.selectFrom('async_jobs').selectAll().where('id', '=', id).executeTakeFirst()
  const mustFind = async (id: string) => {
    const row = await find(id)
    if (!row) throw new NotFound(`Job ${id} not found.`)
    return row
  }

  return {
    async enqueue(target, request) {
      if (typeof request.projectId !== 'string' || request.projectId.trim() === '') {
        throw new BadRequest('Field project_id can not be empty.')
      }
      const now = isoTime(clock.now())
      const row: Omit<JobRow, 'seq'> = {
        id: uuid(),
        type: request.type,
        project_id: request.projectId,
        resource_id: resourceIdFor(request.type, request.resource),
        status: 'NEW',
        attempts: 0,
        last_error: null,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        created_at: now,
        updated_at: now,
      }
      const executor = target as unknown as Kysely<JobTables>
      await executor.insertInto('async_jobs').values(row).execute()
      log.debug({ job: row.id, type: row.type, resource: row.resource_id }, 'job queued')
      // Outside a transaction the row is already visible; inside one, workers watch for it.
      tell(executor.isTransaction ? row.id : undefined)
      return toJob({ ...row, seq: 0 })
    },

    async get(id) {
      const row = await find(id)
      return row && toJob(row)
    },

    async redo(id) {
      const row = await mustFind(id)
      if (row.status === 'RUNNING') throw new BadRequest(`Can't redo job ${id} which is running.`)
      if (row.status === 'SUCCESS') {
        throw new BadRequest(`Can't redo job ${id} which has already succeeded.`)
      }
      const now = isoTime(clock.now())
      const result = await db
        .updateTable('async_jobs')
        .set({ status: 'NEW', next_attempt_at: now, updated_at: now })
        .where('seq', '=', row.seq)
        .where('status', 'in', ['NEW', 'FAIL'])
        .executeTakeFirst()
      if (Number(result.numUpdatedRows) !== 1) {
        throw new Conflict(`Job ${id} changed while it was being re-queued; try again.`)
      }
      tell()
      return toJob({ ...row, status: 'NEW', next_attempt_at: now, updated_at: now })
    },

    async remove(id) {
      const row = await mustFind(id)
      if (row.status === 'RUNNING') throw new BadRequest(`Can't delete job ${id} which is running.`)
      const result = await db
        .deleteFrom('async_jobs')
        .where('seq', '=', row.seq)
        .where('status', '!=', 'RUNNING')
        .executeTakeFirst()
      if (Number(result.numDeletedRows) !== 1) {
        throw new Conflict(`Job ${id} changed while it was being deleted; try again.`)
      }
    },

    notify: () => tell(),

    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
