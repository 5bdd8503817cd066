import { once } from 'node:events'
import { createServer, STATUS_CODES, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { ApiError, type Logger } from '@tricircle/core'
import type Docker from 'dockerode'
import { WebSocketServer } from 'ws'
import { startConsoleSession, type ConsoleSession } from './console-session.js'
import { ConsoleTokens, type ConsoleTarget } from './console-tokens.js'
import {
  attachContainerStream,
  createInteractiveExec,
  resizeContainerTty,
  resizeExecTty,
  startExecStream,
  type DockerConsoleStream,
} from './docker-console.js'

export interface ConsoleServerOptions {
  readonly docker: Docker
  /** Address to listen on. */
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** Host name clients use in `proxy_url`; required when `host` is a wildcard address. */
  readonly publicHost?: string
  readonly log: Logger
  /** How long an issued URL stays usable; default 60 s. */
  readonly tokenTtlMs?: number
}

export interface IssuedExec {
  readonly execId: string
  readonly proxyUrl: string
}

export interface ConsoleServer {
  /** `ws://publicHost:port`, the base of every `proxy_url`. */
  readonly url: string
  /** Creates an exec and a one-time URL that starts it (Zun `execute?interactive=True&run=False`). */
  issueExec(
    containerDockerId: string,
    containerUuid: string,
    command: readonly string[],
    options: { readonly tty: boolean },
  ): Promise<IssuedExec>
  /** A one-time URL attached to the container's main process (Zun `GET …/attach`). */
  issueAttach(containerDockerId: string, containerUuid: string): { readonly proxyUrl: string }
  /** Zun `execute_resize`; w or h of 0 is a no-op. */
  resizeExec(execId: string, w: number, h: number): Promise<void>
  /** Zun `resize` (the attach TTY); w or h of 0 is a no-op. */
  resizeContainer(containerDockerId: string, w: number, h: number): Promise<void>
  /** Stops listening, closes every open session (code 1001) and forgets unused tokens. */
  close(): Promise<void>
}

const DEFAULT_TOKEN_TTL_MS = 60_000
/** stdin arrives in small frames; anything large is not a console. */
const MAX_FRAME_BYTES = 1024 * 1024

/**
 * The compute agent's zun-wsproxy: a WebSocket server where `exec --interactive` and `attach`
 * clients connect with a token from `issueExec`/`issueAttach`, then talk to the process through
 * Docker's hijacked stdio. The token is checked before the upgrade, so a bad URL gets an HTTP
 * error instead of a websocket that closes at once.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const { docker, log } = options
  const publicHost = options.publicHost ?? options.host
  if (isWildcard(publicHost)) {
    throw new Error(`console server on ${options.host}: publicHost is required`)
  }
  const tokens = new ConsoleTokens(options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS)
  const sessions = new Set<ConsoleSession>()
  let closing = false

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (offered) => chooseSubprotocol(offered) ?? false,
  })
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' })
    res.end('console sessions need a websocket\n')
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(req, socket, head)
  })

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until ws owns the socket a reset client must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy())
    if (closing) return refuse(socket, 503, 'console server is shutting down')
    const url = new URL(req.url ?? '/', 'ws://console.invalid')
    if (url.pathname !== '/') return refuse(socket, 404, 'no such console endpoint')
    const offered = req.headers['sec-websocket-protocol']
    if (offered !== undefined && chooseSubprotocol(parseList(offered)) === undefined) {
      return refuse(socket, 400, 'subprotocol must be binary or base64')
    }
    const redeemed = tokens.redeem(url.searchParams.get('token') ?? '', {
      uuid: url.searchParams.get('uuid'),
      execId: url.searchParams.get('exec_id'),
    })
    if (!redeemed.ok) {
      log.info({ reason: redeemed.reason }, 'console: refused websocket token')
      return refuse(socket, 401, 'invalid or expired console token')
    }
    const { target } = redeemed

    let docker: DockerConsoleStream
    try {
      docker = await openDockerStream(target)
    } catch (error) {
      log.warn({ err: error, container: target.containerUuid }, 'console: docker stream failed')
      const status = error instanceof ApiError ? error.status : 502
      return refuse(socket, status, error instanceof Error ? error.message : 'docker failed')
    }
    if (closing || socket.destroyed) {
      docker.stream.destroy()
      socket.destroy()
      return
    }
    // ws aborts malformed handshakes without calling back; the Docker side must not leak then.
    let upgraded = false
    socket.once('close', () => {
      if (!upgraded) docker.stream.destroy()
    })
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true
      const session = startConsoleSession({
        ws,
        docker: docker.stream,
        multiplexed: docker.multiplexed,
        encoding: ws.protocol === 'base64' ? 'base64' : 'binary',
        log,
      })
      sessions.add(session)
      log.info({ container: target.containerUuid, kind: target.kind }, 'console: session opened')
      void session.closed.then(() => {
        sessions.delete(session)
        log.info({ container: target.containerUuid, kind: target.kind }, 'console: session closed')
      })
    })
  }

  function openDockerStream(target: ConsoleTarget): Promise<DockerConsoleStream> {
    if (target.kind === 'exec') return startExecStream(docker, target.execId, target.tty)
    return attachContainerStream(docker, target.containerDockerId)
  }

  server.listen(options.port, options.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const url = `ws://${formatHost(publicHost)}:${port}`

  const proxyUrl = (token: string, containerUuid: string, execId?: string): string => {
    const query = new URLSearchParams({ token, uuid: containerUuid })
    if (execId !== undefined) query.set('exec_id', execId)
    return `${url}/?${query.toString()}`
  }

  return {
    url,
    async issueExec(containerDockerId, containerUuid, command, { tty }) {
      const execId = await createInteractiveExec(docker, containerDockerId, command, tty)
      const token = tokens.issue({ kind: 'exec', containerDockerId, containerUuid, execId, tty })
      return { execId, proxyUrl: proxyUrl(token, containerUuid, execId) }
    },
    issueAttach(containerDockerId, containerUuid) {
      const token = tokens.issue({ kind: 'attach', containerDockerId, containerUuid })
      return { proxyUrl: proxyUrl(token, containerUuid) }
    },
    resizeExec: (execId, w, h) => resizeExecTty(docker, execId, w, h),
    resizeContainer: (containerDockerId, w, h) =>
      resizeContainerTty(docker, containerDockerId, w, h),
    async close() {
      if (closing) return
      closing = true
      tokens.clear()
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      const open = [...sessions]
      for (const session of open) session.end(1001, 'console server shutting down')
      server.closeAllConnections()
      await Promise.all(open.map((session) => session.closed))
      wss.close()
      await stopped
    },
  }
}

/** zunclient offers `binary,base64`; `binary` needs no re-encoding, so it wins. */
function chooseSubprotocol(offered: Set<string>): 'binary' | 'base64' | undefined {
  if (offered.has('binary')) return 'binary'
  if (offered.has('base64')) return 'base64'
  return undefined
}

function parseList(header: string): Set<string> {
  return new Set(header.split(',').map((item) => item.trim()))
}

/** Answers an upgrade request with a plain HTTP error and hangs up. */
function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return
  const body = `${message}\n`
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]'
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}
