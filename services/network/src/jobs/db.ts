import type { Generated, Selectable } from '@tricircle/store'
import { resourceOf, type JobStatus } from './registry.js'

/**
 * The job engine's table. One row is one request for work on a key (type, resource_id); rows are
 * written before any work starts, in the transaction of the change that needs them. Times are
 * ISO-8601 text with milliseconds, so text order is time order on both engines.
 */
export interface JobTables {
  async_jobs: JobRow
}

export interface JobRow {
  /** Insertion order: "newest" means the highest seq, never a timestamp that can tie. */
  seq: Generated<number>
  id: string
  type: string
  project_id: string
  /** The resource values '#'-joined in the type's field order (see `registry.ts`). */
  resource_id: string
  status: JobStatus
  /** Times a worker has claimed this row; also the row's version for the claim. */
  attempts: number
  last_error: string | null
  /** When a NEW or FAIL row may run; NULL = not on its own (superseded, or failed for good). */
  next_attempt_at: string | null
  lease_owner: string | null
  lease_until: string | null
  created_at: string
  updated_at: string
}

export interface Job {
  id: string
  type: string
  projectId: string
  resourceId: string
  resource: Record<string, string>
  status: JobStatus
  attempts: number
  lastError: string | null
  nextAttemptAt: string | null
  createdAt: string
  updatedAt: string
}

export function toJob(row: Selectable<JobRow>): Job {
  return {
    id: row.id,
    type: row.type,
    projectId: row.project_id,
    resourceId: row.resource_id,
    resource: resourceOf(row.type, row.resource_id),
    status: row.status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export const isoTime = (ms: number): string => new Date(ms).toISOString()
