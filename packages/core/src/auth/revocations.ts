import type { AuthContext } from './context.js'

/**
 * A revocation event, as Keystone's OS-REVOKE models it: every token whose fields match all the
 * non-empty fields here and that was issued at or before `issuedBefore` is no longer valid.
 */
export interface RevocationEvent {
  id: number
  issuedBefore: number
  auditId?: string
  userId?: string
  projectId?: string
  domainId?: string
}

/**
 * The events a verifier knows of, indexed so a check costs a few map lookups. Events older than
 * the longest token lifetime can never match a live token, so `prune` drops them.
 */
export class RevocationList {
  #latestId = 0
  readonly #byAudit = new Map<string, number>()
  readonly #byUser = new Map<string, number>()
  readonly #byProject = new Map<string, number>()
  readonly #byDomain = new Map<string, number>()
  readonly #byUserProject = new Map<string, number>()

  get latestId(): number {
    return this.#latestId
  }

  add(events: Iterable<RevocationEvent>): void {
    for (const e of events) {
      this.#latestId = Math.max(this.#latestId, e.id)
      const index = this.#indexFor(e)
      if (!index) continue
      index[0].set(index[1], Math.max(index[0].get(index[1]) ?? 0, e.issuedBefore))
    }
  }

  isRevoked(ctx: AuthContext): boolean {
    const at = ctx.issuedAt
    const hit = (map: Map<string, number>, key: string | undefined) =>
      key !== undefined && (map.get(key) ?? -1) >= at
    return (
      hit(this.#byAudit, ctx.auditId) ||
      hit(this.#byUser, ctx.userId) ||
      hit(this.#byProject, ctx.projectId) ||
      hit(this.#byDomain, ctx.domainId) ||
      (ctx.projectId !== undefined && hit(this.#byUserProject, `${ctx.userId}/${ctx.projectId}`))
    )
  }

  /** Forgets events that only match tokens issued before `before` (which have all expired). */
  prune(before: number): void {
    for (const map of [
      this.#byAudit,
      this.#byUser,
      this.#byProject,
      this.#byDomain,
      this.#byUserProject,
    ]) {
      for (const [k, t] of map) if (t < before) map.delete(k)
    }
  }

  #indexFor(e: RevocationEvent): [Map<string, number>, string] | undefined {
    if (e.auditId) return [this.#byAudit, e.auditId]
    if (e.userId && e.projectId) return [this.#byUserProject, `${e.userId}/${e.projectId}`]
    if (e.userId) return [this.#byUser, e.userId]
    if (e.projectId) return [this.#byProject, e.projectId]
    if (e.domainId) return [this.#byDomain, e.domainId]
    return undefined
  }
}
