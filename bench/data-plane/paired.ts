/**
 * Paired, interleaved comparison of paths: `pairs` blocks, each one short stream and one
 * request/response run per path, back to back, in an order that changes from block to block
 * (`orderOf`: no path is systematically first), with fresh processes per block. Each block
 * gives a ratio per figure (ours/bare, say) whose two samples are adjacent in time and so share
 * the machine's load, which on a shared machine moves both far more than the paths differ. The ratios are then summarised by their median with a
 * distribution-free 95 % confidence interval (order statistics) and a seeded bootstrap one.
 */
import {
  bootstrapCi,
  geometricMean,
  median,
  medianCi,
  percentile,
  relativeMad,
  round,
  type Interval,
} from '../stats.js'
import {
  PathProcesses,
  type Direction,
  type PathEnds,
  type RrSample,
  type StreamSample,
} from './transfer.js'

export interface NamedPath {
  readonly name: string
  readonly ends: PathEnds
}

export interface PairedOptions {
  readonly pairs: number
  /** Bytes per stream. */
  readonly bytes: number
  /** Who opens the stream's connection (see `transfer.ts`). */
  readonly direction: Direction
  /** Round trips per request/response run (0: none). */
  readonly rr: number
  /** [sender's CPU, receiver's CPU] for every path, or none. */
  readonly pin?: readonly [number, number]
  /** Unrecorded samples per path first (connections, neighbours, JIT). */
  readonly warmup?: number
  readonly progress?: (line: string) => void
}

export interface Block {
  readonly order: readonly string[]
  readonly stream: Readonly<Record<string, StreamSample>>
  readonly rr: Readonly<Record<string, RrSample>>
}

export async function runPaired(
  paths: readonly NamedPath[],
  options: PairedOptions,
): Promise<Block[]> {
  const blocks: Block[] = []
  for (let b = 0; b < options.pairs; b++) {
    // Fresh processes every block: a process's own state (its heap, what its JIT made of the
    // script) moved its cost per MiB by up to ±5 % and its throughput by ±10 % for a whole run
    // in A/A tests (one path, two process pairs); redrawn per block, that joins the variation
    // between pairs, which the intervals account for, instead of biasing every pair alike.
    const running = await Promise.all(
      paths.map((path, i) => PathProcesses.start(path.ends, 6100 + i, options.pin)),
    )
    try {
      for (let w = 0; w < (options.warmup ?? 1); w++) {
        for (const p of running) {
          await p.stream(Math.max(2 ** 20, options.bytes / 4), options.direction)
          if (options.rr) await p.rr(100)
        }
      }
      const order = orderOf(b, paths.length)
      const stream: Record<string, StreamSample> = {}
      const rr: Record<string, RrSample> = {}
      for (const i of order)
        stream[paths[i]!.name] = await running[i]!.stream(options.bytes, options.direction)
      if (options.rr) for (const i of order) rr[paths[i]!.name] = await running[i]!.rr(options.rr)
      const names = order.map((i) => paths[i]!.name)
      blocks.push({ order: names, stream, rr })
      options.progress?.(
        `pair ${b + 1}: ` +
          names
            .map(
              (n) =>
                `${n} ${round(stream[n]!.mibPerS)} MiB/s ${round(stream[n]!.cpuMsPerMiB, 3)} ms/MiB` +
                (rr[n] ? ` rr ${round(rr[n].p50us)} µs` : ''),
            )
            .join(', '),
      )
    } finally {
      for (const p of running) p.close()
    }
  }
  return blocks
}

/**
 * Block `b`'s order of `n` paths: rotated by b mod n, and reversed every other cycle of n, so
 * that over 2n blocks every path takes every position equally often, after its neighbour on
 * one side as often as after the other's (with two paths: AB, BA, BA, AB…).
 */
export function orderOf(b: number, n: number): number[] {
  const rotated = Array.from({ length: n }, (_, i) => (i + b) % n)
  return Math.floor(b / n) % 2 ? rotated.reverse() : rotated
}

export interface RatioSummary {
  /** Median of the per-pair ratios. */
  readonly median: number
  /** Distribution-free 95 % interval of that median (order statistics). */
  readonly ci: Interval
  /** Percentile bootstrap 95 % interval of the median (10,000 resamples, seed 1). */
  readonly bootstrap: Interval
  readonly geometricMean: number
  readonly min: number
  readonly max: number
  readonly n: number
}

export function ratioSummary(ratios: readonly number[]): RatioSummary {
  const ci = medianCi(ratios)
  const boot = bootstrapCi(ratios, median, { seed: 1 })
  const r = (x: number) => round(x, 3)
  return {
    median: r(median(ratios)),
    ci: { low: r(ci.low), high: r(ci.high), coverage: r(ci.coverage) },
    bootstrap: { low: r(boot.low), high: r(boot.high), coverage: boot.coverage },
    geometricMean: r(geometricMean(ratios)),
    min: r(Math.min(...ratios)),
    max: r(Math.max(...ratios)),
    n: ratios.length,
  }
}

/** Per-path medians and spreads (relative MAD) over the blocks, for the record. */
export function pathSummary(blocks: readonly Block[], name: string) {
  const s = blocks.map((b) => b.stream[name]!)
  const rr = blocks.flatMap((b) => (b.rr[name] ? [b.rr[name]] : []))
  const of = (xs: number[], digits = 2) => ({
    median: round(median(xs), digits),
    p10: round(percentile(xs, 10), digits),
    p90: round(percentile(xs, 90), digits),
    relMad: round(relativeMad(xs), 3),
  })
  return {
    mibPerS: of(s.map((x) => x.mibPerS)),
    cpuMsPerMiB: of(
      s.map((x) => x.cpuMsPerMiB),
      4,
    ),
    senderCpuMsPerMiB: round(median(s.map((x) => (x.senderCpuMs * 2 ** 20) / x.bytes)), 4),
    receiverCpuMsPerMiB: round(median(s.map((x) => (x.receiverCpuMs * 2 ** 20) / x.bytes)), 4),
    ksoftirqdMsPerMiB: round(median(s.map((x) => (x.ksoftirqdMs * 2 ** 20) / x.bytes)), 4),
    statSoftirqMsPerMiB: round(median(s.map((x) => (x.statSoftirqMs * 2 ** 20) / x.bytes)), 4),
    ...(rr.length
      ? { rrP50us: of(rr.map((x) => x.p50us)), rrP99us: of(rr.map((x) => x.p99us)) }
      : {}),
  }
}

/** `a` against `b`, pair by pair: throughput a/b, CPU per MiB a/b, rr p50 a/b. */
export function compare(blocks: readonly Block[], a: string, b: string) {
  const withRr = blocks.filter((x) => x.rr[a] && x.rr[b])
  return {
    throughput: ratioSummary(blocks.map((x) => x.stream[a]!.mibPerS / x.stream[b]!.mibPerS)),
    cpuPerMiB: ratioSummary(blocks.map((x) => x.stream[a]!.cpuMsPerMiB / x.stream[b]!.cpuMsPerMiB)),
    ...(withRr.length
      ? { rrP50: ratioSummary(withRr.map((x) => x.rr[a]!.p50us / x.rr[b]!.p50us)) }
      : {}),
  }
}
