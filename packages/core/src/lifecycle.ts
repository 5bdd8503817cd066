import type { Logger } from 'pino'

/** Closes one resource; may return a promise, which is awaited. */
export type Closer = () => unknown

interface Unit {
  log: Logger
  closers: Closer[]
}

/**
 * The process's units (one service, or every service and agent of `tricircle serve cloud`) and
 * the one shutdown they share. Module state on purpose: signals are process-wide.
 */
const units: Unit[] = []
const controller = new AbortController()
let stopping = false
let graceMs = 10_000

/** Closes every unit of this process, last started first, then exits with `code`. */
export async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return
  stopping = true
  for (const unit of units) unit.log.info({ reason }, 'shutting down')
  controller.abort()
  const timer = setTimeout(() => {
    units[0]?.log.error('shutdown took too long; exiting')
    process.exit(1)
  }, graceMs)
  timer.unref()
  // The last unit started is the first stopped: agents before the services they call.
  for (const unit of [...units].reverse()) {
    for (const close of [...unit.closers].reverse()) {
      try {
        await close()
      } catch (error) {
        unit.log.error({ err: error }, 'error while closing')
      }
    }
  }
  for (const unit of units) unit.log.flush()
  process.exit(code)
}

/**
 * Runs one unit of this process: `start` receives an AbortSignal that fires on SIGINT/SIGTERM
 * and returns the closers for what it opened. They run in reverse order, like a stack of
 * `finally` blocks, so a server stops accepting requests before the database it uses is closed.
 * Resolves once the unit has started; a unit that fails to start stops the whole process
 * (exit code 1) and the promise rejects.
 */
export async function runMain(
  log: Logger,
  start: (signal: AbortSignal) => Promise<Closer[]>,
  options: { graceMs?: number } = {},
): Promise<void> {
  if (units.length === 0) {
    process.once('SIGINT', () => void shutdown('SIGINT', 0))
    process.once('SIGTERM', () => void shutdown('SIGTERM', 0))
  }
  graceMs = Math.max(graceMs, options.graceMs ?? 0)
  const unit: Unit = { log, closers: [] }
  units.push(unit)
  try {
    unit.closers = await start(controller.signal)
  } catch (error) {
    log.fatal({ err: error }, 'failed to start')
    // After the caller has seen the rejection (microtasks run before immediates).
    setImmediate(() => void shutdown('start failed', 1))
    throw error
  }
  if (controller.signal.aborted) void shutdown('aborted during start', 0)
}
