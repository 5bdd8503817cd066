import { open, type FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { PayloadTooLarge } from '@tricircle/core'
import { SharedBufferHashes } from './hash-threads.js'
import type { StoredData } from './image-store.js'

export interface SinkOptions {
  /** Past this many bytes the write fails with PayloadTooLarge. */
  maxBytes: number
  /** Bytes per slot of the hashing ring: one hash update each. */
  slotBytes?: number
  /** Slots in the ring: how many hash updates may be in flight at once. */
  slots?: number
  /** Start an fdatasync whenever this many bytes were written since the last one. */
  syncEveryBytes?: number
}

const MiB = 1024 * 1024

/**
 * Writes a stream to a new file (`wx`, 0600) while counting it and hashing it with MD5 and
 * SHA-512 on worker threads, and fsyncs the file before it finishes.
 *
 * Why it is built this way — uploads are CPU-bound on two cores (`BENCHMARKS.md`):
 * - The chunks that queued up while the previous write ran (64 KiB each from a socket) go to the
 *   file in one positioned `writev`, straight from the buffers they arrived in, one write at a
 *   time. (Writing 4 MiB slots of the shared ring instead, four at once, cost the thread pool
 *   about twice the CPU per GiB.)
 * - The same bytes are copied once into a ring of slots in a SharedArrayBuffer, which both hash
 *   threads read in place; a full slot is one hash update per thread, and a slot is reused only
 *   once both have read it, which bounds memory to the ring.
 * - Dirty pages are flushed (fdatasync) in the background as the upload goes, so the final
 *   fsync, which runs while the hash threads finish, has little left to do.
 *
 * `result()` is valid after 'finish'. On an error or destroy, the write and hash updates still
 * running are awaited and the file closed; removing it is the caller's job (it knows the name
 * is temporary).
 */
export class HashingFileSink extends Writable {
  readonly #path: string
  readonly #maxBytes: number
  readonly #slotBytes: number
  readonly #syncEveryBytes: number
  readonly #ring: Buffer
  readonly #hashes: SharedBufferHashes<'md5' | 'sha512'>
  /** Per slot, the hash updates still reading it. */
  readonly #hashing: (Promise<void> | undefined)[]
  #file: FileHandle | undefined
  #writing: Promise<void> | undefined
  #current = 0
  #fill = 0
  #size = 0
  #unsynced = 0
  #syncing: Promise<void> | undefined
  #failure: Error | undefined
  #result: StoredData | undefined

  constructor(path: string, options: SinkOptions) {
    // What queues up here while a write runs is the next write: up to 4 MiB.
    super({ highWaterMark: 4 * MiB })
    const slots = options.slots ?? 4
    this.#path = path
    this.#maxBytes = options.maxBytes
    this.#slotBytes = options.slotBytes ?? 4 * MiB
    this.#syncEveryBytes = options.syncEveryBytes ?? 64 * MiB
    this.#hashes = new SharedBufferHashes(slots * this.#slotBytes, ['md5', 'sha512'])
    this.#ring = Buffer.from(this.#hashes.buffer)
    this.#hashing = new Array<Promise<void> | undefined>(slots).fill(undefined)
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
    this.#take([chunk]).then(() => done(), done)
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.#take(chunks.map((c) => c.chunk)).then(() => done(), done)
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#finish().then(() => done(), done)
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const file = this.#file
    this.#file = undefined
    if (!file) {
      // Not opened, or finished: the hash session may still be open (dropping it is a no-op else).
      void this.#hashes.drop().then(() => done(error))
      return
    }
    // A write still running uses the descriptor, hash updates the ring: close after them.
    void Promise.allSettled([this.#writing, ...this.#hashing, this.#syncing])
      .then(() => Promise.allSettled([this.#hashes.drop(), file.close()]))
      .then(() => done(error))
  }

  /** Writes `buffers` to the file and feeds them to the hashes, both at once. */
  async #take(buffers: Buffer[]): Promise<void> {
    const position = this.#size
    const length = buffers.reduce((n, b) => n + b.length, 0)
    this.#size += length
    if (this.#size > this.#maxBytes)
      throw new PayloadTooLarge(`Image exceeds the upload quota of ${this.#maxBytes} bytes.`)
    this.#writing = this.#writeAll(buffers, length, position)
    const [wrote, copied] = await Promise.allSettled([this.#writing, this.#copyAll(buffers)])
    this.#writing = undefined
    if (wrote.status === 'rejected') throw wrote.reason
    if (copied.status === 'rejected') throw copied.reason
    this.#unsynced += length
    this.#maybeSync()
  }

  async #writeAll(buffers: Buffer[], length: number, position: number): Promise<void> {
    const file = this.#requireFile()
    let done = (await file.writev(buffers, position)).bytesWritten
    if (done === length) return
    // A short write (rare on a regular file): the rest from one buffer.
    const all = Buffer.concat(buffers)
    while (done < length)
      done += (await file.write(all, done, length - done, position + done)).bytesWritten
  }

  async #copyAll(buffers: Buffer[]): Promise<void> {
    for (const buffer of buffers) await this.#copyIn(buffer)
  }

  async #copyIn(chunk: Buffer): Promise<void> {
    let offset = 0
    while (offset < chunk.length) {
      const busy = this.#hashing[this.#current]
      if (busy) await busy
      if (this.#failure) throw this.#failure
      const n = Math.min(chunk.length - offset, this.#slotBytes - this.#fill)
      const at = this.#current * this.#slotBytes + this.#fill
      // fill() with a Buffer is one memcpy; copy() into a SharedArrayBuffer goes through V8's
      // word-by-word "relaxed" memmove, 10-19% of the event loop's CPU in perf.
      this.#ring.fill(chunk.subarray(offset, offset + n), at, at + n)
      this.#fill += n
      offset += n
      if (this.#fill === this.#slotBytes) this.#dispatch()
    }
  }

  /** Sends the current slot to the hash threads and moves to the next slot. */
  #dispatch(): void {
    const slot = this.#current
    this.#hashing[slot] = this.#hashes.update(slot * this.#slotBytes, this.#fill).then(
      () => {
        this.#hashing[slot] = undefined
      },
      (error: Error) => {
        this.#hashing[slot] = undefined
        this.#failure ??= error
      },
    )
    this.#current = (slot + 1) % this.#hashing.length
    this.#fill = 0
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
    const file = this.#requireFile()
    if (this.#fill > 0) this.#dispatch()
    // Full fsync (data and size) before the caller renames the file into place, while the hash
    // threads finish the last slots (neither the background sync nor the updates reject).
    const [synced] = await Promise.allSettled([file.sync(), this.#syncing, ...this.#hashing])
    if (this.#failure) throw this.#failure
    if (synced.status === 'rejected') throw synced.reason
    const { md5, sha512 } = await this.#hashes.digest()
    this.#file = undefined
    await file.close()
    this.#result = { size: this.#size, md5, sha512 }
  }

  #requireFile(): FileHandle {
    if (!this.#file) throw new Error('the sink is closed')
    return this.#file
  }
}
