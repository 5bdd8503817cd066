/** Small statistics shared by the benchmarks. */
import { seededRandom } from '@tricircle/core/testing'

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Nearest-rank percentile of a sample, `p` in [0, 100]. */
export const percentile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits))

export interface Interval {
  readonly low: number
  readonly high: number
  /** The interval's actual coverage (order statistics give a discrete one), or the level asked. */
  readonly coverage: number
}

/**
 * Distribution-free confidence interval for the median: order statistics x(k) and x(n+1-k), the
 * largest k whose interval still covers the median with probability ≥ `level` (Binomial(n, ½)
 * tails; no assumption on the distribution beyond independent samples). For n = 30 and 95 %:
 * the 10th and 21st smallest values (coverage 95.7 %). NaN bounds when n is too small (n < 6).
 */
export function medianCi(xs: readonly number[], level = 0.95): Interval {
  const n = xs.length
  const s = [...xs].sort((a, b) => a - b)
  // P(B ≤ j) for B ~ Binomial(n, ½), accumulated in log space (n may be large).
  const logChoose = (k: number) => lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
  let below = 0 // P(B ≤ k - 1)
  let best = 0
  for (let k = 1; k <= n >> 1; k++) {
    below += Math.exp(logChoose(k - 1) - n * Math.LN2)
    // The interval [x(k), x(n+1-k)] misses the median with probability 2 · P(B ≤ k - 1).
    if (1 - 2 * below >= level) best = k
    else break
  }
  if (best === 0) return { low: Number.NaN, high: Number.NaN, coverage: Number.NaN }
  let tail = 0
  for (let j = 0; j < best; j++) tail += Math.exp(logChoose(j) - n * Math.LN2)
  return { low: s[best - 1]!, high: s[n - best]!, coverage: 1 - 2 * tail }
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7): enough for binomial tails. */
function lgamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x)
  x -= 1
  let a = g[0]!
  const t = x + 7.5
  for (let i = 1; i < 9; i++) a += g[i]! / (x + i)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Percentile bootstrap confidence interval of `statistic` over `xs` (resampled with replacement,
 * `resamples` times, from a seeded generator so a run's figures can be recomputed).
 */
export function bootstrapCi(
  xs: readonly number[],
  statistic: (sample: readonly number[]) => number = median,
  options: { level?: number; resamples?: number; seed?: number } = {},
): Interval {
  const { level = 0.95, resamples = 10_000, seed = 1 } = options
  if (xs.length < 2) return { low: Number.NaN, high: Number.NaN, coverage: Number.NaN }
  const random = seededRandom(seed)
  const stats: number[] = []
  const sample = new Array<number>(xs.length)
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(random() * xs.length)]!
    stats.push(statistic(sample))
  }
  const tail = ((1 - level) / 2) * 100
  return { low: percentile(stats, tail), high: percentile(stats, 100 - tail), coverage: level }
}

/** Geometric mean (of ratios, say); NaN if any value is not positive. */
export const geometricMean = (xs: readonly number[]): number =>
  xs.length && xs.every((x) => x > 0)
    ? Math.exp(xs.reduce((sum, x) => sum + Math.log(x), 0) / xs.length)
    : Number.NaN

/** Median absolute deviation from the median, relative to the median: a robust spread. */
export const relativeMad = (xs: readonly number[]): number => {
  const m = median(xs)
  return median(xs.map((x) => Math.abs(x - m))) / m
}
