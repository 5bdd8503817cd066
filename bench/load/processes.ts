/**
 * The cloud's processes seen from /proc: with `tricircle up --split` each service and agent is
 * a process whose PID is in `<state>/run/<unit>.pid`, so its resident memory (VmRSS) and open
 * file descriptors (/proc/PID/fd) can be read one by one. The Docker engines are the lab's,
 * not the cloud's, and are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProcessSample {
  /** ms since the sampler started. */
  t: number
  rssMiB: number
  fds: number
}

/** Unit name → PID, from `<state>/run/*.pid`. */
export function cloudPids(stateDir: string): Map<string, number> {
  const run = join(stateDir, 'run')
  return new Map(
    readdirSync(run)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => [f.slice(0, -4), Number(readFileSync(join(run, f), 'utf8').trim())]),
  )
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length

/** Samples every process every `everyMs` until stopped; a process that is gone is skipped. */
export class ProcessSampler {
  readonly samples = new Map<string, ProcessSample[]>()
  readonly #pids: Map<string, number>
  #started = performance.now()
  #timer: NodeJS.Timeout | undefined

  constructor(stateDir: string) {
    this.#pids = cloudPids(stateDir)
  }

  get names(): string[] {
    return [...this.#pids.keys()].sort()
  }

  /** ms since `start`. */
  get elapsedMs(): number {
    return performance.now() - this.#started
  }

  start(everyMs: number): void {
    this.#started = performance.now()
    this.sample()
    this.#timer = setInterval(() => this.sample(), everyMs)
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  sample(): void {
    const t = this.elapsedMs
    for (const [name, pid] of this.#pids) {
      try {
        const sample = { t, rssMiB: rssMiB(pid), fds: fdCount(pid) }
        const list = this.samples.get(name)
        if (list) list.push(sample)
        else this.samples.set(name, [sample])
      } catch {
        // gone (a crash shows up as errors in the load and as a missing process at the end)
      }
    }
  }

  /**
   * Each process's fewest open fds over `times` readings `gapMs` apart. A reading can catch a
   * connection being opened or closed (a heartbeat, a long poll renewed); the fewest is what
   * the process holds for good.
   */
  async settledFds(times = 5, gapMs = 2000): Promise<Record<string, number>> {
    const fewest: Record<string, number> = {}
    for (let i = 0; i < times; i++) {
      if (i > 0) await sleep(gapMs)
      for (const [name, pid] of this.#pids) {
        try {
          const n = fdCount(pid)
          fewest[name] = Math.min(fewest[name] ?? n, n)
        } catch {
          // gone: no figure
        }
      }
    }
    return fewest
  }
}

/** Least-squares slope of RSS over time, in MiB per minute. */
export function rssSlope(samples: readonly ProcessSample[]): number {
  const n = samples.length
  if (n < 2) return Number.NaN
  const mx = samples.reduce((s, p) => s + p.t, 0) / n
  const my = samples.reduce((s, p) => s + p.rssMiB, 0) / n
  let num = 0
  let den = 0
  for (const p of samples) {
    num += (p.t - mx) * (p.rssMiB - my)
    den += (p.t - mx) ** 2
  }
  return den === 0 ? 0 : (num / den) * 60_000
}
