/**
 * Reusing what one sync read of the kernel in the next, so a sync that a region change starts
 * does not first spend its time reading the kernel (each read is a process: `ip`, `bridge`,
 * `nft`, `sysctl`; together 30–70 ms on a loaded 2-vCPU host, most of a binding's latency).
 *
 * The rule: a sync that changed nothing leaves the kernel as it read it, so the next sync may
 * start from that reading instead of reading again, as long as nothing can have changed the
 * kernel in between. Anything that may have changed it makes the reading stale:
 *
 * - the agent itself applying anything (it invalidates before it applies, so a failed apply
 *   leaves nothing reusable either), and a failed sync;
 * - any link event in the host's namespace (`ip monitor link`: a plugin's tap, a deleted or
 *   changed device); without a running monitor nothing is reused at all;
 * - the periodic resync and an explicit `syncNow`, which always read afresh. Drift that no
 *   link event shows (a forwarding entry, an nft rule or a route deleted by hand) is therefore
 *   repaired by the next periodic resync, as before, rather than by whichever sync comes first.
 *
 * A reading is kept only if nothing invalidated the cache between the start of that read and
 * the end of its sync (a generation counter), so an event that lands while a read is in flight
 * is never lost.
 */

export class KernelReadCache<T> {
  #generation = 0
  #kept: T | undefined
  #enabled = false

  /** The generation to pass to `keep`: take it before starting a read. */
  get generation(): number {
    return this.#generation
  }

  /** Whether readings may be reused (a change monitor is running). */
  get enabled(): boolean {
    return this.#enabled
  }

  /** Allows reuse from now on (the change monitor is running); a reading taken before is not kept. */
  enable(): void {
    this.invalidate()
    this.#enabled = true
  }

  /** Forbids reuse (the change monitor stopped). */
  disable(): void {
    this.invalidate()
    this.#enabled = false
  }

  /** The kernel may have changed: nothing read before now is reused. */
  invalidate(): void {
    this.#generation++
    this.#kept = undefined
  }

  /** Keeps `reading` (started at `generation`) for the next sync, if nothing changed since. */
  keep(generation: number, reading: T): void {
    if (this.#enabled && generation === this.#generation) this.#kept = reading
  }

  /** The reading a sync may start from, or undefined: read the kernel. */
  reusable(): T | undefined {
    return this.#enabled ? this.#kept : undefined
  }
}
