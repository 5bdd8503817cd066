import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { extract } from 'tar-stream'
import { InvalidDockerArchive } from './errors.js'

/** What a host needs from an archive's `manifest.json` to run the image it holds. */
export interface DockerArchiveImage {
  /** `RepoTags[0]` when the archive names one, else the image ID: what `docker create` is given. */
  readonly dockerRef: string
  /** `sha256:<hex>` of the image config, i.e. the engine's image ID after `docker load`. */
  readonly configDigest: string
}

interface ManifestEntry {
  Config?: unknown
  RepoTags?: unknown
}

const MAX_MANIFEST_BYTES = 1024 * 1024
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])

/**
 * Reads `manifest.json` from a `docker save` archive (plain or gzipped, as `docker load` accepts).
 * Anything else — not a tar, no manifest, a manifest without a config — is an
 * InvalidDockerArchive naming `imageName`, never a crash.
 */
export async function readDockerArchive(
  path: string,
  imageName: string,
): Promise<DockerArchiveImage> {
  const gzipped = await isGzip(path)
  const source = createReadStream(path)
  return readDockerArchiveStream(gzipped ? source.pipe(createGunzip()) : source, imageName)
}

/** `readDockerArchive` over an uncompressed archive stream, which it reads to the end. */
export async function readDockerArchiveStream(
  source: Readable,
  imageName: string,
): Promise<DockerArchiveImage> {
  const invalid = (why: string, cause?: unknown) =>
    new InvalidDockerArchive(`image ${imageName} is not a Docker image archive: ${why}`, { cause })
  let manifestText: string | undefined
  const tar = extract()
  tar.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '')
    if (name !== 'manifest.json' || header.size === undefined || header.size > MAX_MANIFEST_BYTES) {
      stream.on('end', next).resume()
      return
    }
    const chunks: Buffer[] = []
    stream.on('data', (c) => void chunks.push(c as Buffer))
    stream.on('end', () => {
      manifestText = Buffer.concat(chunks).toString('utf8')
      next()
    })
  })
  try {
    await pipeline(source, tar)
  } catch (cause) {
    throw invalid(`unreadable tar (${(cause as Error).message})`, cause)
  }
  if (manifestText === undefined) throw invalid('no manifest.json')
  return parseManifest(manifestText, invalid)
}

function parseManifest(
  text: string,
  invalid: (why: string, cause?: unknown) => Error,
): DockerArchiveImage {
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch (cause) {
    throw invalid('manifest.json is not JSON', cause)
  }
  const first = (Array.isArray(manifest) ? manifest[0] : undefined) as ManifestEntry | undefined
  const configHex = typeof first?.Config === 'string' ? configDigestHex(first.Config) : undefined
  if (!configHex) throw invalid('manifest.json names no image config')
  const repoTag = Array.isArray(first?.RepoTags) ? (first.RepoTags[0] as unknown) : undefined
  const configDigest = `sha256:${configHex}`
  return { dockerRef: typeof repoTag === 'string' ? repoTag : configDigest, configDigest }
}

/** `<hex>.json` (docker ≤ 24) or `blobs/sha256/<hex>` (docker ≥ 25, OCI layout). */
function configDigestHex(config: string): string | undefined {
  return /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(config)?.[1]
}

async function isGzip(path: string): Promise<boolean> {
  const file = await open(path)
  try {
    const head = Buffer.alloc(2)
    const { bytesRead } = await file.read(head, 0, 2, 0)
    return bytesRead === 2 && head.equals(GZIP_MAGIC)
  } finally {
    await file.close()
  }
}
