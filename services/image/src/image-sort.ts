import { BadRequest } from '@tricircle/core'
import type { ImageRow } from './db.js'

export type SortDir = 'asc' | 'desc'
export type SortKey = (typeof SORT_KEYS)[number]
export interface SortSpec {
  key: SortKey
  dir: SortDir
}

const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
  'visibility',
  'owner',
  'min_disk',
  'min_ram',
] as const

const sortKey = (key: string): SortKey => {
  if (!(SORT_KEYS as readonly string[]).includes(key))
    throw new BadRequest(`Invalid sort key: ${key}. It must be one of: ${SORT_KEYS.join(', ')}.`)
  return key as SortKey
}
const sortDir = (dir: string): SortDir => {
  if (dir !== 'asc' && dir !== 'desc')
    throw new BadRequest(`Invalid sort direction: ${dir}. It must be asc or desc.`)
  return dir
}

/**
 * The order asked for, either as `sort=name:asc,size` or as repeated `sort_key`/`sort_dir` (one
 * direction for all keys, or one per key) — not both. `created_at` and `id` are appended, as in
 * Glance, so the order is total and a marker names one position.
 */
export function parseSort(query: {
  sort?: string
  sort_key?: string[]
  sort_dir?: string[]
}): SortSpec[] {
  const keys = query.sort_key ?? []
  const dirs = query.sort_dir ?? []
  let specs: SortSpec[]
  if (query.sort !== undefined) {
    if (keys.length > 0 || dirs.length > 0)
      throw new BadRequest('The sort and sort_key/sort_dir parameters cannot be combined.')
    specs = query.sort.split(',').map((part) => {
      const [key = '', dir = 'desc', ...more] = part.trim().split(':')
      if (more.length > 0) throw new BadRequest(`Invalid sort: ${part}`)
      return { key: sortKey(key.trim()), dir: sortDir(dir.trim()) }
    })
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length)
      throw new BadRequest('The number of sort_dir values must be one or match sort_key.')
    specs = (keys.length > 0 ? keys : ['created_at']).map((key, i) => ({
      key: sortKey(key),
      dir: sortDir(dirs[dirs.length > 1 ? i : 0] ?? 'desc'),
    }))
  }
  for (const key of ['created_at', 'id'] as const)
    if (!specs.some((s) => s.key === key)) specs.push({ key, dir: 'desc' })
  return specs
}

/** Compares two rows by the specs; null sorts lowest, as in Glance's MySQL. */
export function compareRows(specs: readonly SortSpec[]) {
  return (a: ImageRow, b: ImageRow): number => {
    for (const { key, dir } of specs) {
      const order = compareValues(value(a, key), value(b, key))
      if (order !== 0) return dir === 'asc' ? order : -order
    }
    return 0
  }
}

function value(row: ImageRow, key: SortKey): string | number | null {
  const v = row[key]
  return key === 'size' && v !== null ? Number(v) : v
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return a < b ? -1 : 1
}
