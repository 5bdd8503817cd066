import { closeSync, fdatasync, fsync, openSync, writev } from 'node:fs'
import { Writable } from 'node:stream'

const MiB = 1024 * 1024

/**
 * The benchmark's efficient way to put a stream on disk durably, used wherever a client or the
 * plain node:http baseline writes a file, so every side of a comparison does the same disk work
 * the same way: batched positioned writes (writev of whatever queued up), an fdatasync started
 * every 64 MiB so the disk works while data still arrives, and an fsync at the end. The image
 * service's own upload path does the same (`HashingFileSink`).
 */
export class DiskSink extends Writable {
  readonly #fd: number
  #position = 0
  #unsynced = 0
  /** The background fdatasync, if one runs; it settles with its error, reported by _final. */
  #syncing: Promise<Error | null> | undefined

  constructor(path: string) {
    super({ highWaterMark: 4 * MiB })
    this.#fd = openSync(path, 'w')
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk)
    const total = buffers.reduce((n, b) => n + b.length, 0)
    writev(this.#fd, buffers, this.#position, (error, written) => {
      if (error) return done(error)
      if (written !== total) return done(new Error(`short write: ${written} of ${total} bytes`))
      this.#position += written
      this.#unsynced += written
      if (this.#unsynced >= 64 * MiB && !this.#syncing) {
        this.#unsynced = 0
        this.#syncing = new Promise((resolve) => fdatasync(this.#fd, resolve))
        void this.#syncing.then(() => (this.#syncing = undefined))
      }
      done()
    })
  }

  override _final(done: (error?: Error | null) => void): void {
    void Promise.resolve(this.#syncing).then((error) => {
      if (error) return done(error)
      fsync(this.#fd, done)
    })
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    void Promise.resolve(this.#syncing).then(() => {
      closeSync(this.#fd)
      done(error)
    })
  }
}
