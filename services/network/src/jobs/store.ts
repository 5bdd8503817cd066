import { isUniqueViolation, type Kysely, type Selectable } from '@tricircle/store'
import type { JobRow, JobTables } from './db.js'

/**
 * Finding and claiming work. Every state change is one conditional UPDATE whose WHERE names the
 * state it expects, so concurrent workers (in one process or in several on one database) can
 * race freely: the loser's UPDATE matches no row, or breaks the one-RUNNING-row-per-key unique
 * index, and it moves on. (Recording outcomes is in `finish.ts`.)
 */
type Db = Kysely<JobTables>
export type ClaimedRow = Selectable<JobRow>
const PENDING = ['NEW', 'FAIL'] as const

export interface JobKey {
  type: string
  resource_id: string
}

/** RUNNING rows whose lease ran out belong to a worker that crashed or hung: fail them now. */
export async function reclaimExpired(db: Db, now: string): Promise<number> {
  const result = await db
    .updateTable('async_jobs')
    .set({
      status: 'FAIL',
      last_error: 'lease expired: the worker running it stopped renewing',
      next_attempt_at: now,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    })
    .where('status', '=', 'RUNNING')
    .where('lease_until', '<', now)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Due NEW and FAIL rows of keys with nothing running, longest-waiting first. */
export function findDue(
  db: Db,
  now: string,
  types: readonly string[],
  limit: number,
): Promise<ClaimedRow[]> {
  if (types.length === 0) return Promise.resolve([])
  return db
    .selectFrom('async_jobs as j')
    .selectAll('j')
    .where('j.status', 'in', PENDING)
    .where('j.next_attempt_at', '<=', now)
    .where('j.type', 'in', types)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('async_jobs as r')
            .select('r.seq')
            .whereRef('r.type', '=', 'j.type')
            .whereRef('r.resource_id', '=', 'j.resource_id')
            .where('r.status', '=', 'RUNNING'),
        ),
      ),
    )
    .orderBy('j.next_attempt_at')
    .orderBy('j.seq')
    .limit(limit)
    .execute()
}

/** The newest of each key's rows, in the order the keys first appear. */
export function newestPerKey(rows: readonly ClaimedRow[]): ClaimedRow[] {
  const byKey = new Map<string, ClaimedRow>()
  for (const row of rows) {
    const key = `${row.type} ${row.resource_id}`
    const seen = byKey.get(key)
    if (!seen || seen.seq < row.seq) byKey.set(key, row)
  }
  return [...byKey.values()]
}

/**
 * Claims the key of a due row by its newest pending row, which stands for all of the key's
 * pending work. Usually that is the due row itself (a fresh NEW row), and one UPDATE does it;
 * returns the claimed row, or undefined when another worker was quicker.
 */
export async function claimKey(
  db: Db,
  due: ClaimedRow,
  lease: Lease,
): Promise<ClaimedRow | undefined> {
  if (await claim(db, due, lease, true)) return due
  const newest = await newestPending(db, due)
  if (!newest || newest.seq === due.seq) return undefined
  return (await claim(db, newest, lease, false)) ? newest : undefined
}

export interface Lease {
  owner: string
  now: string
  until: string
}

/** The row that represents a key's pending work: its newest NEW or FAIL row. */
export function newestPending(db: Db, key: JobKey): Promise<ClaimedRow | undefined> {
  return db
    .selectFrom('async_jobs')
    .selectAll()
    .where('type', '=', key.type)
    .where('resource_id', '=', key.resource_id)
    .where('status', 'in', PENDING)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/**
 * Takes `row` as RUNNING under a lease if it is still in the state it was read in (`attempts` is
 * its version) and, when `onlyIfNewest`, no newer pending row of its key exists. Older pending
 * rows need no change here: the key is not runnable while this row runs, and finishing settles
 * them.
 */
export async function claim(
  db: Db,
  row: ClaimedRow,
  lease: Lease,
  onlyIfNewest = false,
): Promise<boolean> {
  let update = db
    .updateTable('async_jobs')
    .set({
      status: 'RUNNING',
      attempts: row.attempts + 1,
      lease_owner: lease.owner,
      lease_until: lease.until,
      updated_at: lease.now,
    })
    .where('seq', '=', row.seq)
    .where('attempts', '=', row.attempts)
    .where('status', 'in', PENDING)
  if (onlyIfNewest) {
    update = update.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('async_jobs as n')
            .select('n.seq')
            .where('n.type', '=', row.type)
            .where('n.resource_id', '=', row.resource_id)
            .where('n.seq', '>', row.seq)
            .where('n.status', 'in', PENDING),
        ),
      ),
    )
  }
  try {
    return Number((await update.executeTakeFirst()).numUpdatedRows) === 1
  } catch (error) {
    if (isUniqueViolation(error)) return false // another worker runs this key
    throw error
  }
}

export async function renewLease(db: Db, seq: number, owner: string, until: string) {
  const result = await db
    .updateTable('async_jobs')
    .set({ lease_until: until })
    .where('seq', '=', seq)
    .where('status', '=', 'RUNNING')
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}
