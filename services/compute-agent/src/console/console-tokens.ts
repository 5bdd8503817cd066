import { randomUUID } from 'node:crypto'

/** What a console token lets its holder connect to. */
export type ConsoleTarget =
  | {
      readonly kind: 'exec'
      readonly containerDockerId: string
      readonly containerUuid: string
      readonly execId: string
      readonly tty: boolean
    }
  | {
      readonly kind: 'attach'
      readonly containerDockerId: string
      readonly containerUuid: string
    }

/** The query of a websocket URL as the client presents it (`uuid`, `exec_id`). */
export interface PresentedQuery {
  readonly uuid: string | null
  readonly execId: string | null
}

export type RedeemResult =
  | { readonly ok: true; readonly target: ConsoleTarget }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'mismatch' }

interface Entry {
  readonly target: ConsoleTarget
  readonly expiresAt: number
}

/**
 * Single-use, short-lived tokens for console websockets (zun-wsproxy's `token` query). The
 * token is the only credential on that URL, so it is a random UUID, it is consumed by the first
 * connection that presents it (even one whose `uuid`/`exec_id` does not match, so a leaked
 * token cannot be probed), and it lapses after `ttlMs`.
 */
export class ConsoleTokens {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(target: ConsoleTarget): string {
    this.dropExpired()
    const token = randomUUID()
    this.entries.set(token, { target, expiresAt: this.now() + this.ttlMs })
    return token
  }

  redeem(token: string, query: PresentedQuery): RedeemResult {
    const entry = this.entries.get(token)
    if (!entry) return { ok: false, reason: 'unknown' }
    this.entries.delete(token)
    if (this.now() >= entry.expiresAt) return { ok: false, reason: 'expired' }
    const { target } = entry
    const expectedExecId = target.kind === 'exec' ? target.execId : null
    // The client echoes the URL it was given, so anything else means it is not that URL.
    if (query.uuid !== target.containerUuid || (query.execId ?? null) !== expectedExecId) {
      return { ok: false, reason: 'mismatch' }
    }
    return { ok: true, target }
  }

  get size(): number {
    return this.entries.size
  }

  clear(): void {
    this.entries.clear()
  }

  /** Tokens nobody used would otherwise pile up; sweeping on issue bounds the map. */
  private dropExpired(): void {
    const now = this.now()
    for (const [token, entry] of this.entries) {
      if (now >= entry.expiresAt) this.entries.delete(token)
    }
  }
}
