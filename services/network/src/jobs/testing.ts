import {
  migrate,
  openDatabase,
  type DatabaseHandle,
  type Kysely,
  type TestDialect,
} from '@tricircle/store'
import type { TricircleTables } from '../admin/db.js'
import { tricircleTables } from '../migrations/0002-tricircle.js'

export const TRICIRCLE_MIGRATIONS = { '0002-tricircle': tricircleTables }

/** A fresh migrated database of `dialect` that several handles (like processes) can open. */
export async function sharedJobsDatabase(dialect: TestDialect): Promise<{
  open(): DatabaseHandle<TricircleTables>
  close(): Promise<void>
}> {
  const database = await dialect.url()
  const handles: DatabaseHandle<TricircleTables>[] = []
  const open = () => {
    const handle = openDatabase<TricircleTables>(database.url)
    handles.push(handle)
    return handle
  }
  await migrate(open().db, TRICIRCLE_MIGRATIONS)
  return {
    open,
    close: async () => {
      for (const handle of handles) await handle.close()
      await database.drop()
    },
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function statuses(db: Kysely<TricircleTables>): Promise<string[]> {
  const rows = await db.selectFrom('async_jobs').select('status').orderBy('seq').execute()
  return rows.map((r) => r.status)
}
