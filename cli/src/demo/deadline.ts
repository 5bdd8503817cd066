import { setTimeout as sleep } from 'node:timers/promises'

/** The demo ran out of time; the message names the step under way. */
export class DemoTimeout extends Error {
  override readonly name = 'DemoTimeout'
}

/**
 * A time budget for a phase of the demo: one AbortSignal that every request and wait follows,
 * and the step under way, so that a timeout says what it interrupted.
 */
export class Deadline {
  readonly signal: AbortSignal
  #step: string | (() => string) = 'starting'

  constructor(
    readonly seconds: number,
    readonly what = 'the demo',
  ) {
    this.signal = AbortSignal.timeout(seconds * 1000)
  }

  get currentStep(): string {
    return typeof this.#step === 'string' ? this.#step : this.#step()
  }

  /**
   * Runs `fn` as the step named `name` (a function, for a name that says how far it got); a
   * timeout inside it becomes a DemoTimeout naming it.
   */
  async step<T>(name: string | (() => string), fn: () => Promise<T>): Promise<T> {
    this.#step = name
    try {
      return await fn()
    } catch (error) {
      throw this.explain(error)
    }
  }

  /** Waits `ms`, or rejects when the budget runs out. */
  sleep(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.signal })
  }

  /** `error` itself, or a DemoTimeout when the budget has run out. */
  explain(error: unknown): unknown {
    if (!this.signal.aborted || error instanceof DemoTimeout) return error
    return new DemoTimeout(
      `${this.what} timed out after ${this.seconds} s while ${this.currentStep}` +
        (this.what === 'the demo' ? ' (raise it with --timeout-seconds)' : ''),
      { cause: error },
    )
  }
}
