import type { Kysely } from '@tricircle/store'

/**
 * The image service's tables. Times are ISO-8601 text with milliseconds (so text order is time
 * order; the API shows whole seconds), flags integers 0/1, `extra` the JSON object of the free-form
 * string properties Glance keeps beside the named ones. Rows become API objects in `toImage`.
 */
export interface ImageDb {
  images: ImageRow
  image_tags: { image_id: string; tag: string }
  image_members: MemberRow
}

export type ImageDatabase = Kysely<ImageDb>

export type ImageStatus =
  'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated'

export type Visibility = 'public' | 'private' | 'shared' | 'community'

export type MemberStatus = 'pending' | 'accepted' | 'rejected'

export interface ImageRow {
  id: string
  name: string | null
  status: ImageStatus
  visibility: Visibility
  protected: number
  os_hidden: number
  owner: string
  /** PostgreSQL returns `bigint` as a string; `toImage` applies Number(). */
  size: number | string | null
  checksum: string | null
  os_hash_algo: string | null
  os_hash_value: string | null
  container_format: string | null
  disk_format: string | null
  min_disk: number
  min_ram: number
  extra: string
  created_at: string
  updated_at: string
}

export interface MemberRow {
  image_id: string
  member_id: string
  status: MemberStatus
  created_at: string
  updated_at: string
}
