/** One frame of Docker's multiplexed stdout/stderr stream. */
export interface StreamFrame {
  stream: 'stdin' | 'stdout' | 'stderr'
  data: Buffer
}

const STREAMS = ['stdin', 'stdout', 'stderr'] as const
const HEADER_BYTES = 8

/**
 * Splits Docker's multiplexed stream (a container or exec without a TTY): each frame is an
 * 8-byte header — stream type, three zero bytes, big-endian payload length — then the payload.
 * Bytes that do not start with such a header (a TTY's raw stream, or a misaligned one) come back
 * as one stdout frame, as docker-modem's `demuxStream` does.
 */
export function demultiplex(buffer: Buffer): StreamFrame[] {
  const frames: StreamFrame[] = []
  let offset = 0
  while (offset < buffer.length) {
    const stream = STREAMS[buffer[offset] ?? -1]
    const padded = buffer[offset + 1] === 0 && buffer[offset + 2] === 0 && buffer[offset + 3] === 0
    if (!stream || !padded || offset + HEADER_BYTES > buffer.length) {
      frames.push({ stream: 'stdout', data: buffer.subarray(offset) })
      break
    }
    const length = buffer.readUInt32BE(offset + 4)
    const start = offset + HEADER_BYTES
    frames.push({ stream, data: buffer.subarray(start, start + length) })
    offset = start + length
  }
  return frames
}

/**
 * The text of a stream, stdout and stderr interleaved as the engine sent them (what `docker logs`
 * shows on a terminal). Frames are joined before decoding, so a character split between two frames
 * survives.
 */
export function streamText(buffer: Buffer, multiplexed: boolean): string {
  if (!multiplexed) return buffer.toString('utf8')
  return Buffer.concat(demultiplex(buffer).map((frame) => frame.data)).toString('utf8')
}
