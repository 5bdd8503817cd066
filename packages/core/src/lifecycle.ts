import type { Logger } from 'pino'

/** Closes one resource; may return a promise, which is awaited. */
export type Closer = () => unknown

/**
 * Runs a process's main: `start` receives an AbortSignal that fires on SIGINT/SIGTERM and returns
 * the closers for what it opened. They run in reverse order, like a stack of `finally` blocks,
 * so a server stops accepting requests before the database it uses is closed.
 */
export function runMain(
  log: Logger,
  start: (signal: AbortSignal) => Promise<Closer[]>,
  options: { graceMs?: number } = {},
): void {
  const controller = new AbortController()
  let closers: Closer[] = []
  let stopping = false
  const stop = async (reason: string, code: number) => {
    if (stopping) return
    stopping = true
    log.info({ reason }, 'shutting down')
    controller.abort()
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting')
      process.exit(1)
    }, options.graceMs ?? 10_000)
    timer.unref()
    for (const close of closers.reverse()) {
      try {
        await close()
      } catch (error) {
        log.error({ err: error }, 'error while closing')
      }
    }
    log.flush()
    process.exit(code)
  }
  process.once('SIGINT', () => void stop('SIGINT', 0))
  process.once('SIGTERM', () => void stop('SIGTERM', 0))
  start(controller.signal).then(
    (c) => {
      closers = c
      if (controller.signal.aborted) void stop('aborted during start', 0)
    },
    (error: unknown) => {
      log.fatal({ err: error }, 'failed to start')
      void stop('start failed', 1)
    },
  )
}
