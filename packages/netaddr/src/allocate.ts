import { toIp, ip, type IpAddress, type IpLike } from './ip-address.js'
import type { IpRange } from './subnet-defaults.js'

/**
 * Yields the addresses of `ranges` that are not in `used`, lowest first within each range,
 * ranges in the given order. Lazy: it never materializes a range, so a /64 pool is fine. Cost
 * is O(u log u) for u used addresses, plus O(1) per address yielded.
 */
export function* freeAddresses(
  ranges: readonly IpRange[],
  used: Iterable<IpLike>,
): Generator<IpAddress, void, undefined> {
  const taken = sortedValues(used)
  for (const r of ranges) {
    let i = lowerBound(taken[r.version], r.first)
    const values = taken[r.version]
    for (let candidate = r.first; candidate <= r.last; candidate++) {
      // Skip the used addresses below the candidate, then the candidate itself if it is used.
      while (i < values.length && values[i]! < candidate) i++
      if (i < values.length && values[i] === candidate) continue
      yield ip(r.version, candidate)
    }
  }
}

/** The lowest free address of the first range that has one, or undefined if all are used. */
export function firstFreeAddress(
  ranges: readonly IpRange[],
  used: Iterable<IpLike>,
): IpAddress | undefined {
  for (const address of freeAddresses(ranges, used)) return address
  return undefined
}

function sortedValues(used: Iterable<IpLike>): Record<4 | 6, bigint[]> {
  const out: Record<4 | 6, bigint[]> = { 4: [], 6: [] }
  for (const u of used) {
    const address = toIp(u)
    out[address.version].push(address.value)
  }
  for (const values of Object.values(out)) values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return out
}

function lowerBound(values: readonly bigint[], target: bigint): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}
