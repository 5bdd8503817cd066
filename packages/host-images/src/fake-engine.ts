import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { readDockerArchiveStream } from './docker-archive.js'
import type { ImageEngine } from './image-engine.js'

/**
 * An in-memory `ImageEngine` for unit tests: `load` reads the archive's manifest and records
 * the image under its ref and ID. `loadDelayMs` stretches a load so concurrency is observable.
 */
export class FakeImageEngine implements ImageEngine {
  /** ref (repo:tag or image ID) → image ID */
  readonly refs = new Map<string, string>()
  loads = 0

  constructor(private readonly loadDelayMs = 0) {}

  async inspect(ref: string): Promise<string | undefined> {
    return this.refs.get(ref)
  }

  async load(archive: Readable): Promise<void> {
    this.loads++
    const { dockerRef, configDigest } = await readDockerArchiveStream(archive, 'loaded archive')
    if (this.loadDelayMs) await sleep(this.loadDelayMs)
    this.refs.set(dockerRef, configDigest)
    this.refs.set(configDigest, configDigest)
  }

  /** What `docker rmi` would do: the next prepare has to load again. */
  remove(ref: string): void {
    this.refs.delete(ref)
  }
}
