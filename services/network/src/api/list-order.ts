/**
 * The order of a Neutron list (`api_common.get_sorts`, `SortingEmulatedHelper`): the requested
 * keys in their directions, then `id` ascending unless sorted on, so that the order is total and
 * a pagination marker names one position. Values of different kinds compare by kind.
 */
export type SortDir = 'asc' | 'desc'

export interface SortSpec {
  key: string
  dir: SortDir
}

/** A comparator for `sorts`, `id` ascending appended; nulls (and missing values) sort lowest. */
export function compareItems(sorts: readonly SortSpec[]): (a: object, b: object) => number {
  const specs = sorts.some((s) => s.key === 'id') ? sorts : [...sorts, { key: 'id', dir: 'asc' }]
  return (a, b) => {
    for (const { key, dir } of specs) {
      const order = compareValues(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
      )
      if (order !== 0) return dir === 'asc' ? order : -order
    }
    return 0
  }
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case 0:
      return 0
    case 1:
    case 2:
    case 3:
      return a === b
        ? 0
        : (a as number | string | boolean) < (b as number | string | boolean)
          ? -1
          : 1
    default:
      return Array.isArray(a) && Array.isArray(b) ? compareLists(a, b) : compareJson(a, b)
  }
}

/** Element by element; a list sorts before the longer lists it begins. */
function compareLists(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareValues(a[i], b[i])
    if (order !== 0) return order
  }
  return a.length - b.length
}

function compareJson(a: unknown, b: unknown): number {
  const ja = JSON.stringify(a)
  const jb = JSON.stringify(b)
  return ja === jb ? 0 : ja < jb ? -1 : 1
}

/** Null first, then booleans, numbers, strings, then lists and objects. */
function rank(value: unknown): number {
  if (value === null || value === undefined) return 0
  const type = typeof value
  if (type === 'boolean') return 1
  if (type === 'number' || type === 'bigint') return 2
  if (type === 'string') return 3
  return 4
}
