import type { FileHandle } from 'node:fs/promises'
import { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'

const CHUNK = 1024 * 1024

/**
 * An open file as a Readable that, when piped into an HTTP response (which is how fastify sends
 * a stream), reuses two 1 MiB buffers instead of allocating one per read: a buffer is read into
 * again only once the response's write callback says the socket has taken the bytes. fs.ReadStream's fresh buffer per
 * read is external memory that made V8 collect the service's whole heap every ~64 MiB; on two
 * shared cores that cost downloads about 1 s of CPU per GiB (`BENCHMARKS.md`).
 *
 * Read any other way (another destination, 'data', async iteration) it allocates per read like
 * fs.ReadStream. The file
 * handle is closed at the end, on error and on destroy (FileHandle.close waits for a read still
 * running).
 */
export class FileReadStream extends Readable {
  #position = 0

  constructor(private readonly file: FileHandle) {
    super({ highWaterMark: CHUNK })
  }

  override _read(): void {
    this.file.read(Buffer.allocUnsafe(CHUNK), 0, CHUNK, this.#position).then(
      ({ bytesRead, buffer }) => {
        this.#position += bytesRead
        this.push(bytesRead > 0 ? buffer.subarray(0, bytesRead) : null)
      },
      (error: Error) => this.destroy(error),
    )
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Only an HTTP response is known to be done with a buffer when its write calls back (the
    // bytes are in the socket by then); an in-memory stream may still hold it.
    if (!(destination instanceof ServerResponse)) return super.pipe(destination, options)
    void this.#pump(destination, options?.end !== false)
    return destination
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.file.close().then(
      () => done(error),
      () => done(error),
    )
  }

  async #pump(destination: ServerResponse, end: boolean): Promise<void> {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
    let previous: Promise<void> | undefined
    try {
      for (let i = 0; ; i ^= 1) {
        const { bytesRead } = await this.file.read(buffers[i]!, 0, CHUNK, this.#position)
        if (this.destroyed) return
        if (bytesRead === 0) break
        this.#position += bytesRead
        const written = new Promise<void>((resolve, reject) =>
          destination.write(buffers[i]!.subarray(0, bytesRead), (error) =>
            error ? reject(error) : resolve(),
          ),
        )
        written.catch(() => undefined) // awaited below, or the stream is destroyed first
        // The other buffer is reused by the next read: wait until its write has completed.
        await previous
        previous = written
      }
      await previous
      if (end) destination.end()
      // Ends the Readable side too ('end', then 'close'), as a pipe would.
      this.push(null)
      this.resume()
    } catch (error) {
      this.destroy(error as Error)
    }
  }
}
