import { open, type FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { PayloadTooLarge } from '@tricircle/core'
import { SharedBufferHashes } from './hash-threads.js'
import type { StoredData } from './image-store.js'

export interface SinkOptions {
  /** Past this many bytes the write fails with PayloadTooLarge. */
  maxBytes: number
  /** Bytes per slot of the ring: one disk write and one hash update each. */
  slotBytes?: number
  /** Slots in the ring: how many writes and updates may be in flight at once. */
  slots?: number
  /** Start an fdatasync whenever this many bytes were written since the last one. */
  syncEveryBytes?: number
}

const MiB = 1024 * 1024

/**
 * Writes a stream to a new file (`wx`, 0600) while counting it and hashing it with MD5 and
 * SHA-512 on worker threads, and fsyncs the file before it finishes.
 *
 * Why it is built this way — uploads were CPU-bound on two cores (`BENCHMARKS.md`):
 * - Incoming chunks (64 KiB from a socket, possibly slices of a shared pool) are copied once
 *   into a ring of slots in a SharedArrayBuffer; both hash threads read a full slot in place
 *   while the same bytes are written with one positioned write, so nothing else is copied and
 *   the event loop does no hashing. A slot is reused only when its write and both hashes are
 *   done, which bounds memory to the ring.
 * - Dirty pages are flushed (fdatasync) in the background as the upload goes, so the final
 *   fsync has little left to do instead of writing the whole file out at the end.
 *
 * `result()` is valid after 'finish'. On an error or destroy, in-flight writes are awaited and
 * the file closed; removing it is the caller's job (it knows the name is temporary).
 */
export class HashingFileSink extends Writable {
  readonly #path: string
  readonly #maxBytes: number
  readonly #slotBytes: number
  readonly #syncEveryBytes: number
  readonly #ring: Buffer
  readonly #hashes: SharedBufferHashes<'md5' | 'sha512'>
  /** Per slot, the write and hash updates still using it. */
  readonly #inFlight: (Promise<void> | undefined)[]
  #file: FileHandle | undefined
  #current = 0
  #fill = 0
  #size = 0
  #written = 0
  #unsynced = 0
  #syncing: Promise<void> | undefined
  #failure: Error | undefined
  #result: StoredData | undefined

  constructor(path: string, options: SinkOptions) {
    // Room for several socket chunks, so a source is not paused and resumed for every one.
    super({ highWaterMark: MiB })
    const slots = options.slots ?? 4
    this.#path = path
    this.#maxBytes = options.maxBytes
    this.#slotBytes = options.slotBytes ?? 4 * MiB
    this.#syncEveryBytes = options.syncEveryBytes ?? 64 * MiB
    const shared = new SharedArrayBuffer(slots * this.#slotBytes)
    this.#ring = Buffer.from(shared)
    this.#inFlight = new Array<Promise<void> | undefined>(slots).fill(undefined)
    this.#hashes = new SharedBufferHashes(shared, ['md5', 'sha512'])
  }

  /** Size, MD5 and SHA-512 of what was written; only after 'finish'. */
  result(): StoredData {
    if (!this.#result) throw new Error('the sink has not finished')
    return this.#result
  }

  override _construct(done: (error?: Error | null) => void): void {
    open(this.#path, 'wx', 0o600).then((file) => {
      this.#file = file
      done()
    }, done)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.#size += chunk.length
    if (this.#size > this.#maxBytes) {
      done(new PayloadTooLarge(`Image exceeds the upload quota of ${this.#maxBytes} bytes.`))
      return
    }
    this.#copyIn(chunk).then(() => done(), done)
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#finish().then(() => done(), done)
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const file = this.#file
    this.#file = undefined
    if (!file) {
      done(error)
      return
    }
    // The writes still running use the descriptor: close it only after them.
    void Promise.allSettled([...this.#inFlight, this.#syncing])
      .then(() => Promise.allSettled([this.#hashes.drop(), file.close()]))
      .then(() => done(error))
  }

  async #copyIn(chunk: Buffer): Promise<void> {
    let offset = 0
    while (offset < chunk.length) {
      const busy = this.#inFlight[this.#current]
      if (busy) await busy
      if (this.#failure) throw this.#failure
      const n = Math.min(chunk.length - offset, this.#slotBytes - this.#fill)
      chunk.copy(this.#ring, this.#current * this.#slotBytes + this.#fill, offset, offset + n)
      this.#fill += n
      offset += n
      if (this.#fill === this.#slotBytes) this.#dispatch()
    }
  }

  /** Sends the current slot to the disk and the hash threads, and moves to the next slot. */
  #dispatch(): void {
    const slot = this.#current
    const start = slot * this.#slotBytes
    const length = this.#fill
    const position = this.#written
    this.#written += length
    this.#inFlight[slot] = Promise.all([
      this.#writeAll(this.#ring.subarray(start, start + length), position),
      this.#hashes.update(start, length),
    ]).then(
      () => {
        this.#inFlight[slot] = undefined
        this.#unsynced += length
        this.#maybeSync()
      },
      (error: Error) => {
        this.#inFlight[slot] = undefined
        this.#failure ??= error
      },
    )
    this.#current = (slot + 1) % this.#inFlight.length
    this.#fill = 0
  }

  async #writeAll(bytes: Buffer, position: number): Promise<void> {
    const file = this.#requireFile()
    let done = 0
    while (done < bytes.length) {
      const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done)
      done += bytesWritten
    }
  }

  #maybeSync(): void {
    if (this.#syncing || this.#unsynced < this.#syncEveryBytes || !this.#file) return
    this.#unsynced = 0
    this.#syncing = this.#file.datasync().then(
      () => (this.#syncing = undefined),
      (error: Error) => {
        this.#syncing = undefined
        this.#failure ??= error
      },
    )
  }

  async #finish(): Promise<void> {
    if (this.#fill > 0) this.#dispatch()
    await Promise.all(this.#inFlight.filter((p) => p !== undefined))
    await this.#syncing
    if (this.#failure) throw this.#failure
    const { md5, sha512 } = await this.#hashes.digest()
    const file = this.#requireFile()
    // Full fsync (data and size) before the caller renames the file into place.
    await file.sync()
    this.#file = undefined
    await file.close()
    this.#result = { size: this.#size, md5, sha512 }
  }

  #requireFile(): FileHandle {
    if (!this.#file) throw new Error('the sink is closed')
    return this.#file
  }
}
