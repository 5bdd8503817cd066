import {
  RevocationList,
  isoMicro,
  type Clock,
  type Logger,
  type RevocationEvent,
} from '@tricircle/core'
import { dialectOf, sql, type Kysely } from '@tricircle/store'
import type { IdentityDatabase, IdentityDb } from './db.js'

export type RevokeBy = Omit<RevocationEvent, 'id' | 'issuedBefore'>

/**
 * Revocation events: written in the same transaction as the change that causes them (a user
 * disabled, a project deleted, a token revoked), and mirrored in memory for this process's own
 * verifier. `refresh` after a commit makes the change visible here at once; the poll picks up
 * other replicas' events; `waitForEvents` serves other services' long-polls.
 */
export class Revocations {
  readonly list = new RevocationList()
  readonly #waiters = new Set<() => void>()

  constructor(
    private readonly db: IdentityDatabase,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Inserts events inside the caller's transaction. */
  async record(trx: Kysely<IdentityDb>, events: readonly RevokeBy[]): Promise<void> {
    if (events.length === 0) return
    // Serialize writers on PostgreSQL so ids become visible in order and a reader following
    // `id > latest` never skips one that commits late. SQLite writers are serial already.
    if (dialectOf(trx as Kysely<unknown>) === 'postgres') {
      await sql`select pg_advisory_xact_lock(7301)`.execute(trx)
    }
    const now = this.clock.now()
    await trx
      .insertInto('revocation_events')
      .values(
        events.map((e) => ({
          issued_before: now,
          audit_id: e.auditId ?? null,
          user_id: e.userId ?? null,
          project_id: e.projectId ?? null,
          domain_id: e.domainId ?? null,
          revoked_at: isoMicro(now),
        })),
      )
      .execute()
  }

  /** Loads events newer than the newest this process has, and wakes long-polls. */
  async refresh(): Promise<void> {
    const events = await this.eventsAfter(this.list.latestId)
    if (events.length === 0) return
    this.list.add(events)
    for (const wake of this.#waiters) wake()
  }

  async eventsAfter(id: number): Promise<RevocationEvent[]> {
    const rows = await this.db
      .selectFrom('revocation_events')
      .selectAll()
      .where('id', '>', id)
      .orderBy('id')
      .execute()
    return rows.map((r) => ({
      id: Number(r.id),
      issuedBefore: Number(r.issued_before),
      ...(r.audit_id ? { auditId: r.audit_id } : {}),
      ...(r.user_id ? { userId: r.user_id } : {}),
      ...(r.project_id ? { projectId: r.project_id } : {}),
      ...(r.domain_id ? { domainId: r.domain_id } : {}),
    }))
  }

  /** Resolves once an event newer than `id` is known here, or after `timeoutMs`. */
  waitForEvents(id: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.list.latestId > id || timeoutMs <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      this.#waiters.add(done)
      signal?.addEventListener('abort', done)
    })
  }

  /** Polls for other replicas' events and forgets those no live token can match. */
  async run(
    signal: AbortSignal,
    options: { pollMs: number; maxTokenAgeMs: number },
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.refresh()
        this.list.prune(this.clock.now() - options.maxTokenAgeMs)
      } catch (error) {
        this.log.warn({ err: error }, 'revocation refresh failed')
      }
      await new Promise((r) => setTimeout(r, options.pollMs).unref())
    }
    for (const wake of this.#waiters) wake()
  }
}
