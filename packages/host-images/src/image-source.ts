import type { Readable } from 'node:stream'

/** The fields of a Glance v2 image that preparing it on a host reads. */
export interface GlanceImage {
  readonly id: string
  readonly name: string | null
  readonly status: string
  readonly container_format: string | null
  readonly disk_format: string | null
  readonly owner: string | null
  readonly visibility: string
  readonly size: number | null
  /** MD5 hex of the data. */
  readonly checksum: string | null
  readonly os_hash_algo: string | null
  readonly os_hash_value: string | null
}

export interface ImageQuery {
  readonly name?: string
  readonly container_format?: string
  /** Page size asked of the service; every page is fetched either way. */
  readonly limit?: number
}

/**
 * The image service as a host sees it, always on behalf of the caller's token: an image the
 * caller's project may not see is a NotFound, exactly as the service answers.
 */
export interface ImageSource {
  get(id: string, token: string): Promise<GlanceImage>
  /** Every matching image, following `next` links across pages. */
  list(query: ImageQuery, token: string): Promise<GlanceImage[]>
  /** The image's data as a stream; the caller verifies it. */
  download(id: string, token: string): Promise<Readable>
}
