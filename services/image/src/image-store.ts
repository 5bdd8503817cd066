import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { NotFound } from '@tricircle/core'
import { FileReadStream } from './file-read-stream.js'
import { HashingFileSink } from './hashing-file-sink.js'

/** What a finished write measured, while the bytes streamed through. */
export interface StoredData {
  size: number
  /** MD5, hex: Glance's `checksum`. */
  md5: string
  /** SHA-512, hex: Glance's `os_hash_value`. */
  sha512: string
}

/**
 * Where image bytes live. A write is all or nothing: a reader never sees a partial file, and a
 * failed or interrupted write leaves nothing behind. An object store can implement this later.
 */
export interface ImageStore {
  /** Streams `data` in as image `id`'s bytes; past `maxBytes` it fails with PayloadTooLarge. */
  put(id: string, data: Readable, options: { maxBytes: number }): Promise<StoredData>
  /** The bytes of image `id`; NotFound when none are stored. */
  get(id: string): Promise<Readable>
  /** Removes image `id`'s bytes; nothing stored is not an error. */
  delete(id: string): Promise<void>
}

const PARTIAL = '.partial'
const SAFE_ID = /^[0-9A-Za-z-]{1,64}$/

/**
 * One file per image in `dir`. A write goes to a temporary file in the same directory (so the
 * rename cannot cross file systems), is fsynced, then renamed over the final name, and the
 * directory is fsynced so the rename itself survives a crash.
 */
export class FilesystemImageStore implements ImageStore {
  constructor(readonly dir: string) {}

  /** Creates the directory and removes temporary files a crash mid-upload left behind. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    for (const name of await readdir(this.dir)) {
      if (name.endsWith(PARTIAL)) await unlink(join(this.dir, name)).catch(() => undefined)
    }
  }

  async put(id: string, data: Readable, options: { maxBytes: number }): Promise<StoredData> {
    const final = this.#path(id)
    const temp = `${final}.${randomBytes(6).toString('hex')}${PARTIAL}`
    try {
      const sink = new HashingFileSink(temp, { maxBytes: options.maxBytes })
      // Not pipeline(data, …): on a quota error that would destroy the request, and with it the
      // socket the 413 must go out on. The source is only unpiped; a source that fails or ends
      // early still fails the write.
      data.pipe(sink)
      finished(data).catch((error: Error) => sink.destroy(error))
      try {
        await finished(sink)
      } finally {
        data.unpipe(sink)
      }
      await rename(temp, final)
      await this.#syncDir()
      return sink.result()
    } catch (error) {
      await unlink(temp).catch(() => undefined)
      throw error
    }
  }

  async get(id: string): Promise<Readable> {
    try {
      const file = await open(this.#path(id), 'r')
      return new FileReadStream(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFound(`Image ${id} has no data.`)
      throw error
    }
  }

  async delete(id: string): Promise<void> {
    await unlink(this.#path(id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }

  #path(id: string): string {
    // Ids come from the database, but a path must never be built from anything else.
    if (!SAFE_ID.test(id)) throw new Error(`unsafe image id for a file name: ${id}`)
    return join(this.dir, id)
  }

  async #syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }
}
