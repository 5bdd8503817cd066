/**
 * Helpers for tests (and benchmarks) of every package: not part of any service.
 */
import { readFile } from 'node:fs/promises'

/**
 * Polls `check` until it returns something other than `false` (a thrown error counts as not yet)
 * and resolves with that value; rejects after `ms`, naming `what` and the last error.
 */
export async function until<T>(
  check: () => T | false | Promise<T | false>,
  ms: number,
  what: string,
  options: { readonly intervalMs?: number } = {},
): Promise<T> {
  const interval = options.intervalMs ?? 20
  const deadline = performance.now() + ms
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== false) return value
    } catch (error) {
      last = error
    }
    if (performance.now() > deadline) {
      const why = last instanceof Error ? ` (${last.message})` : ''
      throw new Error(`timed out after ${ms} ms: ${what}${why}`)
    }
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}

/** A seeded source of [0, 1) (mulberry32), so a randomized test or benchmark run replays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * Writes the last 20,000 characters of a test cloud's log file to stderr under `heading`, if it
 * has any: what went wrong in a test's services belongs in its output, not in a deleted directory.
 */
export async function printLogTail(file: string, heading: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '')
  if (text) process.stderr.write(`${heading}:\n${text.slice(-20_000)}\n`)
}
