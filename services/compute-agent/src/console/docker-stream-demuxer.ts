import { Transform, type TransformCallback } from 'node:stream'

/** Bytes before each payload in a multiplexed stream: [stream type, 0, 0, 0, uint32 BE size]. */
const HEADER_BYTES = 8

/**
 * Turns Docker's multiplexed attach/exec stream (used when the process has no TTY) back into
 * the plain bytes the process wrote. stdout and stderr are merged, in the order Docker sent
 * them, because a console client writes every frame to its terminal anyway. A header may be
 * split across chunks, so incomplete input is kept until the rest arrives.
 */
export class DockerStreamDemuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0)
  /** Payload bytes still owed by the frame being read; 0 while a header is expected. */
  private payloadLeft = 0

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = Buffer.alloc(0)
    while (data.length > 0) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, data.length)
        this.push(data.subarray(0, take))
        this.payloadLeft -= take
        data = data.subarray(take)
        continue
      }
      if (data.length < HEADER_BYTES) {
        this.pending = Buffer.from(data)
        break
      }
      this.payloadLeft = data.readUInt32BE(4)
      data = data.subarray(HEADER_BYTES)
    }
    done()
  }
}
