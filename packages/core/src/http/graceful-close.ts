import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

/**
 * Makes `close()` end every connection that is not serving a request, while requests in flight
 * finish. Node's own sweep misses keep-alive connections that go idle after close() began and
 * connections opened but not yet used, and those would hold close() for the whole keep-alive
 * timeout.
 */
export function closeIdleOnShutdown(app: FastifyInstance): void {
  const sockets = new Set<Socket>()
  const busy = new Map<Socket, number>()
  let closing = false
  // Only sockets the server accepted count: `inject` requests have stand-ins without a socket.
  const endIfIdle = (socket: Socket) => {
    if (closing && sockets.has(socket) && !busy.get(socket)) socket.destroy()
  }

  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      busy.delete(socket)
    })
  })
  app.addHook('onRequest', (req, _reply, done) => {
    const socket = req.raw.socket
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    done()
  })
  app.addHook('onResponse', (req, _reply, done) => {
    const socket = req.raw.socket
    busy.set(socket, (busy.get(socket) ?? 1) - 1)
    setImmediate(() => endIfIdle(socket))
    done()
  })
  app.addHook('preClose', (done) => {
    closing = true
    for (const socket of sockets) endIfIdle(socket)
    done()
  })
}
