import { createReadStream } from 'node:fs'
import { Conflict, InternalError, type Logger } from '@tricircle/core'
import { ImageCache, type CachedArchive } from './image-cache.js'
import type { ImageEngine } from './image-engine.js'
import type { GlanceImage, ImageSource } from './image-source.js'
import { resolveImage } from './resolve-image.js'

export interface ImagePreparerOptions {
  /** This host's container engine. */
  readonly engine: ImageEngine
  /** The image service, called with each caller's own token. */
  readonly images: ImageSource
  /** Where verified archives are kept between preparations (created when missing). */
  readonly cacheDir: string
  readonly log: Logger
}

export interface PrepareRequest {
  /** The container's `image`: a Glance image ID or an exact image name. */
  readonly ref: string
  /** The caller's token: what the caller's project may see decides what resolves. */
  readonly token: string
}

export interface PreparedImage {
  /** The Glance image ID. */
  readonly imageId: string
  /** What to give `docker create`: the archive's `RepoTags[0]`, else its image ID. */
  readonly dockerRef: string
  /** The engine's image ID (`sha256:…`), for callers that want to pin the exact image. */
  readonly dockerImageId: string
  /** Whether this preparation ran `docker load` (false: the engine already had the image). */
  readonly loaded: boolean
  /** Whether the data came from the image service (false: from this host's cache). */
  readonly downloaded: boolean
}

export interface ImagePreparer {
  prepare(request: PrepareRequest): Promise<PreparedImage>
}

type Preparation = Omit<PreparedImage, 'imageId'>

const SAFE_ID = /^[0-9A-Za-z][0-9A-Za-z_-]*$/
const MD5_HEX = /^[0-9a-f]{32}$/

/**
 * Gets a Glance image onto this host's engine: resolve (per caller, every time), then — once per
 * image ID and checksum, however many callers ask at the same moment — download and verify into
 * the cache unless it is there, and `docker load` unless the engine already has that exact image.
 */
export function createImagePreparer(options: ImagePreparerOptions): ImagePreparer {
  const { engine, images, log } = options
  const cache = new ImageCache(options.cacheDir)
  const inFlight = new Map<string, Promise<Preparation>>()

  async function ensureLoaded(image: GlanceImage, token: string): Promise<Preparation> {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    let cached: CachedArchive | undefined = await cache.lookup(image)
    const downloaded = cached === undefined
    if (cached) {
      const present = await engine.inspect(cached.archive.dockerRef)
      if (present === cached.archive.configDigest) return result(cached, false, false)
    } else {
      cached = await cache.download(images, image, token)
      log.info({ image: image.id, bytes: image.size, ms: ms() }, 'image downloaded and verified')
    }
    try {
      await engine.load(createReadStream(cached.path))
    } catch (cause) {
      throw new InternalError(`docker load of image ${image.id} failed: ${String(cause)}`, {
        cause,
      })
    }
    // A ref that does not lead to the archive's config after loading means the engine did not
    // take the image as the manifest describes; running "something" under that name would be wrong.
    const present = await engine.inspect(cached.archive.dockerRef)
    if (present !== cached.archive.configDigest) {
      throw new InternalError(
        `after docker load of image ${image.id}, ${cached.archive.dockerRef} is ` +
          `${present ?? 'missing'} instead of ${cached.archive.configDigest}`,
      )
    }
    log.info({ image: image.id, ref: cached.archive.dockerRef, ms: ms() }, 'image loaded')
    return result(cached, true, downloaded)
  }

  return {
    async prepare({ ref, token }) {
      const image = await resolveImage(images, ref, token)
      if (image.status !== 'active')
        throw new Conflict(`Image ${ref} is not active (status ${image.status})`)
      if (!SAFE_ID.test(image.id) || !image.checksum || !MD5_HEX.test(image.checksum))
        throw new Conflict(`Image ${ref} has no usable id and checksum to cache it under`)
      // Every caller resolved the image with its own token above; only the host-side work is shared.
      const key = `${image.id}-${image.checksum}`
      let pending = inFlight.get(key)
      if (!pending) {
        pending = ensureLoaded(image, token).finally(() => inFlight.delete(key))
        inFlight.set(key, pending)
      }
      return { imageId: image.id, ...(await pending) }
    },
  }
}

function result(cached: CachedArchive, loaded: boolean, downloaded: boolean): Preparation {
  const { dockerRef, configDigest } = cached.archive
  return { dockerRef, dockerImageId: configDigest, loaded, downloaded }
}
