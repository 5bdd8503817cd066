/**
 * `ip monitor`: the kernel's own change events, one line each, for an agent that must notice a
 * device appearing (a plugin's veth) without polling. The lines are hints only: a reconciler
 * reads the whole state again, so a lost or merged event costs nothing but latency.
 */
import { spawn } from 'node:child_process'
import { netnsPath } from './exec.js'

export interface MonitorOptions {
  /** Network namespace: a name under /run/netns, a path, or undefined for our own. */
  readonly netns?: string | undefined
  /** What to watch (`link`, `address`, `route`…); default `link`. */
  readonly objects?: readonly string[]
  /** Ends the monitor. */
  readonly signal: AbortSignal
  /** Called with each event line (`ip -o`: one line per event). */
  readonly onLine: (line: string) => void
  /** Called when the monitor exits on its own (not through `signal`). */
  readonly onExit?: (reason: string) => void
}

/** Starts `ip -o monitor <objects>` in the namespace until `signal` aborts. */
export function monitor(options: MonitorOptions): void {
  if (options.signal.aborted) return
  const args = ['-o', 'monitor', ...(options.objects ?? ['link'])]
  const [file, argv] =
    options.netns === undefined
      ? ['ip', args]
      : ['nsenter', [`--net=${netnsPath(options.netns)}`, '--', 'ip', ...args]]
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  let rest = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line) options.onLine(line)
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000)
  })
  const stop = () => child.kill('SIGTERM')
  options.signal.addEventListener('abort', stop, { once: true })
  child.on('error', (error) => {
    options.signal.removeEventListener('abort', stop)
    if (!options.signal.aborted) options.onExit?.(error.message)
  })
  child.on('exit', (code, signal) => {
    options.signal.removeEventListener('abort', stop)
    if (!options.signal.aborted) {
      options.onExit?.(
        `${file} ${argv.join(' ')} exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`,
      )
    }
  })
}
