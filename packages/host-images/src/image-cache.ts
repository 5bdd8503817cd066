import { createHash, getHashes, randomBytes, type Hash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { readDockerArchive, type DockerArchiveImage } from './docker-archive.js'
import { ImageChecksumMismatch } from './errors.js'
import type { GlanceImage, ImageSource } from './image-source.js'

/** A verified archive in the host's cache, and what its manifest says. */
export interface CachedArchive {
  readonly path: string
  readonly archive: DockerArchiveImage
}

/**
 * The host's cache of image archives, one file per image ID and checksum
 * (`<id>-<md5>.tar`), so a re-uploaded image with new data can never be mistaken for the old one.
 * A file only gets that name after its hashes matched (temp file + rename), so the name is the
 * proof of verification and nothing is re-hashed on a hit. Beside it, `<id>-<md5>.json` keeps
 * the manifest's answer, because `manifest.json` sits at the end of a `docker save` archive and
 * finding it means reading the whole file.
 */
export class ImageCache {
  constructor(readonly dir: string) {}

  /** The verified archive of `image`, or undefined when it is not (or not wholly) cached. */
  async lookup(image: GlanceImage): Promise<CachedArchive | undefined> {
    const { tar, meta } = this.#paths(image)
    const size = await stat(tar).then(
      (s) => s.size,
      () => undefined,
    )
    if (size === undefined || (image.size !== null && size !== image.size)) return undefined
    const known = await readFile(meta, 'utf8').then(
      (text) => JSON.parse(text) as DockerArchiveImage,
      () => undefined,
    )
    return { path: tar, archive: known ?? (await this.#describe(image, tar)) }
  }

  /**
   * Streams the image's data to a temp file while hashing it, checks MD5 (`checksum`), the
   * `os_hash_algo` hash and the size against the image record, then moves it into the cache.
   * On a mismatch or any failure the temp file is deleted, so a bad download is never cached.
   */
  async download(source: ImageSource, image: GlanceImage, token: string): Promise<CachedArchive> {
    await mkdir(this.dir, { recursive: true })
    const { tar } = this.#paths(image)
    const partial = join(this.dir, `.${image.id}-${randomBytes(6).toString('hex')}.partial`)
    try {
      const hashing = new HashingStream(image.os_hash_value ? image.os_hash_algo : null)
      await pipeline(await source.download(image.id, token), hashing, createWriteStream(partial))
      verify(image, hashing)
      await rename(partial, tar)
    } catch (error) {
      await rm(partial, { force: true })
      throw error
    }
    return { path: tar, archive: await this.#describe(image, tar) }
  }

  /** Reads the manifest once and remembers it; an archive that is not Docker's leaves the cache. */
  async #describe(image: GlanceImage, tar: string): Promise<DockerArchiveImage> {
    let archive: DockerArchiveImage
    try {
      archive = await readDockerArchive(tar, image.name ?? image.id)
    } catch (error) {
      await rm(tar, { force: true })
      throw error
    }
    const { meta } = this.#paths(image)
    const partial = `${meta}.${randomBytes(6).toString('hex')}.partial`
    await writeFile(partial, JSON.stringify(archive))
    await rename(partial, meta)
    return archive
  }

  #paths(image: GlanceImage) {
    const stem = join(this.dir, `${image.id}-${image.checksum}`)
    return { tar: `${stem}.tar`, meta: `${stem}.json` }
  }
}

/** Passes bytes through while computing their MD5, an optional second hash and their count. */
class HashingStream extends Transform {
  readonly md5 = createHash('md5')
  /** Like glanceclient: an algorithm this Node lacks is skipped, MD5 is always checked. */
  readonly other: { algo: string; hash: Hash } | undefined
  bytes = 0

  constructor(algo: string | null) {
    super()
    this.other = algo && getHashes().includes(algo) ? { algo, hash: createHash(algo) } : undefined
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    this.md5.update(chunk)
    this.other?.hash.update(chunk)
    this.bytes += chunk.length
    this.push(chunk)
    done()
  }
}

function verify(image: GlanceImage, hashing: HashingStream): void {
  const name = image.name ?? image.id
  const refuse = (what: string, got: string | number, expected: string | number) =>
    new ImageChecksumMismatch(
      `Corrupt image download of ${name} (${image.id}): ${what} was ${got}, expected ${expected}`,
    )
  if (image.size !== null && hashing.bytes !== image.size)
    throw refuse('size', hashing.bytes, image.size)
  const md5 = hashing.md5.digest('hex')
  if (md5 !== image.checksum) throw refuse('md5', md5, image.checksum ?? '(none)')
  if (hashing.other && image.os_hash_value) {
    const value = hashing.other.hash.digest('hex')
    if (value !== image.os_hash_value) throw refuse(hashing.other.algo, value, image.os_hash_value)
  }
}
