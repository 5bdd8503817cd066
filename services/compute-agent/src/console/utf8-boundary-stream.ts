import { Transform, type TransformCallback } from 'node:stream'

/**
 * Re-chunks a byte stream so no chunk ends inside a UTF-8 sequence. zunclient decodes every
 * websocket frame on its own (`data.decode("utf-8")`) and dies on a character split across two
 * frames, which Docker's arbitrary read sizes would otherwise cause now and then. At most three
 * bytes are held back; bytes that are not UTF-8 at all pass through unchanged. Never emits an
 * empty chunk, since an empty frame reads as end-of-stream to that client.
 */
export class Utf8BoundaryStream extends Transform {
  private carry: Buffer = Buffer.alloc(0)

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk
    const cut = incompleteTailStart(data)
    this.carry = Buffer.from(data.subarray(cut))
    if (cut > 0) this.push(data.subarray(0, cut))
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.carry.length > 0) this.push(this.carry)
    done()
  }
}

/** Where a trailing, not yet complete UTF-8 sequence starts; `data.length` if there is none. */
export function incompleteTailStart(data: Buffer): number {
  const end = data.length
  for (let i = end - 1; i >= Math.max(0, end - 3); i--) {
    const byte = data[i] ?? 0
    if ((byte & 0xc0) === 0x80) continue // continuation byte: keep looking for the lead byte
    if (byte < 0xc0 || byte > 0xf4) return end // ASCII or not a lead byte: nothing to hold
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2
    return end - i < length ? i : end
  }
  return end
}
