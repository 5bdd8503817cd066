import type { Kysely } from '@tricircle/store'
import type { JobRow, JobTables } from './db.js'
import type { ClaimedRow } from './store.js'

/** Recording a run's outcome. Only the lease holder may: each write names the owner. */
type Db = Kysely<JobTables>
const PENDING = ['NEW', 'FAIL'] as const

/**
 * SUCCESS for the run and for every older pending row of the key, in one statement: the run
 * started after they were written, so it did their work. False when the lease was lost.
 */
export async function finishSuccess(db: Db, row: ClaimedRow, owner: string, now: string) {
  const done = await db
    .updateTable('async_jobs')
    .set({
      status: 'SUCCESS',
      last_error: null,
      next_attempt_at: null,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    })
    .where('type', '=', row.type)
    .where('resource_id', '=', row.resource_id)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('seq', '=', row.seq),
          eb('status', '=', 'RUNNING'),
          eb('lease_owner', '=', owner),
        ]),
        eb.and([eb('seq', '<', row.seq), eb('status', 'in', PENDING)]),
      ]),
    )
    .returning('seq')
    .execute()
  return done.some((r) => Number(r.seq) === row.seq)
}

/** FAIL with the error; `retryAt` null means never on its own (a terminal error). */
export function finishFailure(
  db: Db,
  row: ClaimedRow,
  owner: string,
  now: string,
  error: string,
  retryAt: string | null,
) {
  return db.transaction().execute(async (trx) => {
    const done = await finishRunning(trx, row, owner, {
      status: 'FAIL',
      last_error: error,
      next_attempt_at: retryAt,
      updated_at: now,
    })
    if (done) {
      // They stay unfinished, but the failed run carries their retry.
      await olderPending(trx, row)
        .set({
          status: 'FAIL',
          last_error: `superseded by job ${row.id}`,
          next_attempt_at: null,
          updated_at: now,
        })
        .execute()
    }
    return done
  })
}

/** Deletes SUCCESS rows last touched before `before`: history, not work. */
export async function pruneSucceeded(db: Db, before: string): Promise<number> {
  const result = await db
    .deleteFrom('async_jobs')
    .where('status', '=', 'SUCCESS')
    .where('updated_at', '<', before)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

async function finishRunning(
  db: Db,
  row: ClaimedRow,
  owner: string,
  values: Pick<JobRow, 'status' | 'last_error' | 'next_attempt_at' | 'updated_at'>,
): Promise<boolean> {
  const result = await db
    .updateTable('async_jobs')
    .set({ ...values, lease_owner: null, lease_until: null })
    .where('seq', '=', row.seq)
    .where('status', '=', 'RUNNING')
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

function olderPending(db: Db, row: ClaimedRow) {
  return db
    .updateTable('async_jobs')
    .where('type', '=', row.type)
    .where('resource_id', '=', row.resource_id)
    .where('seq', '<', row.seq)
    .where('status', 'in', PENDING)
}
