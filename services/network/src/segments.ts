import { isUniqueViolation } from '@tricircle/store'
import type { NetworkDatabase } from './db.js'

/**
 * The lowest VXLAN VNI in `range` no network holds. Two creators may pick the same one; the
 * unique (network_type, segmentation_id) index lets only one insert win and `retryOnConflict`
 * runs the loser again, so the database is the allocator's lock.
 */
export async function lowestFreeVni(
  db: NetworkDatabase,
  range: { min: number; max: number },
): Promise<number | undefined> {
  const used = await db
    .selectFrom('networks')
    .select('segmentation_id')
    .where('network_type', '=', 'vxlan')
    .where('segmentation_id', '>=', range.min)
    .where('segmentation_id', '<=', range.max)
    .orderBy('segmentation_id')
    .execute()
  let candidate = range.min
  for (const { segmentation_id } of used) {
    if (segmentation_id !== candidate) break
    candidate++
  }
  return candidate <= range.max ? candidate : undefined
}

/** Runs `work` again (a fresh transaction each time) when it lost a unique-key race. */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work()
    } catch (error) {
      if (i >= attempts || !isUniqueViolation(error)) throw error
      // Let the winner finish before looking again.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * i))
    }
  }
}
