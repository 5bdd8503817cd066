import { randomBytes } from 'node:crypto'

/**
 * A revision of some state others watch: `<boot id>:<n>`, where the boot id is random per process (a restarted service never repeats
 * an old revision, so a watcher re-reads) and `n` counts the committed changes since. The
 * stores call `bump` after each write that changed something.
 *
 * In-process: several processes serving one region's database would each count only their own
 * writes.
 */
export class Revision {
  readonly bootId = randomBytes(8).toString('hex')
  #n = 0
  #closed = false
  // One set of wake-ups; a bump swaps it out, so waking N waiters costs N calls and no timers.
  #waiters = new Set<() => void>()

  get current(): string {
    return `${this.bootId}:${this.#n}`
  }

  /** Requests held now (for tests and metrics). */
  get waiting(): number {
    return this.#waiters.size
  }

  /** Marks a committed change and wakes every waiter. An arrow, so stores take it as is. */
  readonly bump = (): void => {
    this.#n++
    this.#wakeAll()
  }

  /**
   * The current revision once it differs from `since`, or after `timeoutMs`, or when `signal`
   * fires or the revision is closed, whichever comes first. At once when it already differs.
   */
  wait(since: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    if (since !== this.current || timeoutMs <= 0 || this.#closed || signal?.aborted) {
      return Promise.resolve(this.current)
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve(this.current)
      }
      const timer = setTimeout(done, timeoutMs)
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** Answers every waiter now and every later one at once: the service is closing. */
  close(): void {
    this.#closed = true
    this.#wakeAll()
  }

  #wakeAll(): void {
    const woken = this.#waiters
    this.#waiters = new Set()
    for (const wake of woken) wake()
  }
}
