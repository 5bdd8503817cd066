import type { Duplex, Readable } from 'node:stream'
import type { Logger } from '@tricircle/core'
import { WebSocket, type RawData } from 'ws'
import { DockerStreamDemuxer } from './docker-stream-demuxer.js'
import { Utf8BoundaryStream } from './utf8-boundary-stream.js'

/** The websocket subprotocols zunclient offers (`binary,base64`); we prefer `binary`. */
export type ConsoleEncoding = 'binary' | 'base64'

/** Above this many unsent bytes the Docker stream is paused; below the low mark it resumes. */
const HIGH_WATER_BYTES = 1024 * 1024
const LOW_WATER_BYTES = 256 * 1024
/** How long a peer gets to answer our close frame before its socket is cut. */
const CLOSE_GRACE_MS = 5000

export interface ConsoleSessionOptions {
  readonly ws: WebSocket
  /** The hijacked Docker connection: reads are the process's output, writes its stdin. */
  readonly docker: Duplex
  /** True without a TTY: Docker then frames stdout/stderr with 8-byte headers. */
  readonly multiplexed: boolean
  readonly encoding: ConsoleEncoding
  readonly log: Logger
}

export interface ConsoleSession {
  /** Settles once both the websocket and the Docker connection are closed. */
  readonly closed: Promise<void>
  /** Closes the websocket with `code` and drops the Docker connection. */
  end(code: number, reason: string): void
}

/**
 * Pipes a console websocket and a Docker exec/attach connection into each other: frames from
 * the client become the process's stdin, the process's output becomes frames. When the process
 * ends (Docker closes) the websocket is closed with 1000, which is what makes zunclient exit;
 * when the client goes away the Docker connection is dropped, which closes the process's stdin.
 */
export function startConsoleSession(options: ConsoleSessionOptions): ConsoleSession {
  const { ws, docker, encoding, log } = options
  const bytes: Readable = options.multiplexed ? docker.pipe(new DockerStreamDemuxer()) : docker
  const output = bytes.pipe(new Utf8BoundaryStream())
  let closeTimer: NodeJS.Timeout | undefined

  const end = (code: number, reason: string): void => {
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
      ws.close(code, reason)
      closeTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS)
      closeTimer.unref()
    }
    // Data still queued in `output` is lost here; callers only end early on error or shutdown.
    if (code !== 1000) docker.destroy()
  }

  // Output: one frame per chunk, pausing Docker while the client reads slower than it writes.
  let paused = false
  const afterSend = (error?: Error): void => {
    if (error) return // the websocket reports it through 'error'/'close'
    if (paused && ws.bufferedAmount < LOW_WATER_BYTES) {
      paused = false
      output.resume()
    }
  }
  output.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return
    if (encoding === 'base64') ws.send(chunk.toString('base64'), { binary: false }, afterSend)
    else ws.send(chunk, { binary: true }, afterSend)
    if (!paused && ws.bufferedAmount > HIGH_WATER_BYTES) {
      paused = true
      output.pause()
    }
  })
  // Normal end of the process: everything it wrote has been queued, so close cleanly.
  output.on('end', () => end(1000, ''))
  docker.on('error', (error) => log.debug({ err: error }, 'console: docker stream failed'))
  docker.on('close', () => {
    if (!docker.readableEnded) end(1011, 'container stream failed')
  })

  // Input: stdin bytes; the client is paused while Docker cannot take more.
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (docker.destroyed || docker.writableEnded) return
    const bytes = toBuffer(data)
    const stdin =
      encoding === 'base64' && !isBinary ? Buffer.from(bytes.toString(), 'base64') : bytes
    if (!docker.write(stdin)) {
      ws.pause()
      docker.once('drain', () => ws.resume())
    }
  })
  ws.on('error', (error) => log.debug({ err: error }, 'console: websocket failed'))

  const wsClosed = new Promise<void>((resolve) => {
    ws.once('close', () => {
      clearTimeout(closeTimer)
      docker.destroy()
      resolve()
    })
  })
  const dockerClosed = new Promise<void>((resolve) => {
    if (docker.closed) resolve()
    else docker.once('close', () => resolve())
  })
  return { closed: Promise.all([wsClosed, dockerClosed]).then(() => undefined), end }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}
