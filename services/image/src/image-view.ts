import { isoSeconds } from '@tricircle/core'
import type { ImageDatabase, ImageRow } from './db.js'

/** Properties with a column of their own; everything else a client sends is an extra property. */
export const BASE_PROPERTIES = [
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
  'stores',
] as const

/** What the server computes; a client naming one in a create or patch gets Glance's 403. */
export const READ_ONLY = new Set([
  'id',
  'status',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
  'stores',
])
export const RESERVED = new Set(['owner', 'is_public', 'location', 'deleted', 'deleted_at'])

export const CONTAINER_FORMATS = [
  'ami',
  'ari',
  'aki',
  'bare',
  'ovf',
  'ova',
  'docker',
  'compressed',
] as const
export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const

/** Glance's defaults for `image_property_quota`, `image_tag_quota`, `image_member_quota`. */
export const MAX_PROPERTIES = 128
export const MAX_TAGS = 128
export const MAX_MEMBERS = 128

export function parseExtra(text: string): Record<string, string> {
  const value = JSON.parse(text) as unknown
  return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {}
}

/** Glance's image object: a flat document, named properties over the extra ones. */
export function toImage(row: ImageRow, tags: readonly string[]) {
  return {
    ...parseExtra(row.extra),
    id: row.id,
    name: row.name,
    status: row.status,
    visibility: row.visibility,
    protected: Boolean(row.protected),
    os_hidden: Boolean(row.os_hidden),
    owner: row.owner,
    size: row.size === null ? null : Number(row.size),
    virtual_size: null,
    checksum: row.checksum,
    os_hash_algo: row.os_hash_algo,
    os_hash_value: row.os_hash_value,
    container_format: row.container_format,
    disk_format: row.disk_format,
    min_disk: row.min_disk,
    min_ram: row.min_ram,
    tags: [...tags],
    created_at: isoSeconds(Date.parse(row.created_at)),
    updated_at: isoSeconds(Date.parse(row.updated_at)),
    self: `/v2/images/${row.id}`,
    file: `/v2/images/${row.id}/file`,
    schema: '/v2/schemas/image',
  }
}

export type ImageView = ReturnType<typeof toImage>

/** Tags of many images in one query, each list sorted. */
export async function loadTags(
  db: ImageDatabase,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const byImage = new Map<string, string[]>(ids.map((id) => [id, []]))
  if (ids.length === 0) return byImage
  const rows = await db
    .selectFrom('image_tags')
    .select(['image_id', 'tag'])
    .where('image_id', 'in', ids)
    .orderBy('tag')
    .execute()
  for (const r of rows) byImage.get(r.image_id)?.push(r.tag)
  return byImage
}

export async function viewImage(db: ImageDatabase, row: ImageRow): Promise<ImageView> {
  const tags = await loadTags(db, [row.id])
  return toImage(row, tags.get(row.id) ?? [])
}
