/**
 * One plugin per host: the state from disk, the clean-up loop, and the API on a unix socket
 * `<pluginDir>/<name>.sock`, where the host's engine looks for plugins (its /run/docker/plugins).
 * Start it before the engine: an engine starting with a network whose plugin does not answer
 * waits ~15 s for it (dataplane.md §3.4 gotcha 6).
 */
import { connect } from 'node:net'
import { mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { App, Logger } from '@tricircle/core'
import { createApp } from './app.js'
import { startCleanup } from './cleanup.js'
import type { DriverContext } from './context.js'
import { iprouteLinks, type VethLinks } from './links.js'
import { DRIVER_NAME } from './names.js'
import { NetworkService, type NetworkServiceOptions } from './network-service.js'
import { StateStore } from './state.js'

export interface NetpluginOptions {
  readonly region: string
  /** The host's name, as ports are bound to it (`binding:host_id`). */
  readonly host: string
  /** The host's network namespace (a lab host); undefined: our own (a real host). */
  readonly netns?: string
  /** The directory the engine sees as /run/docker/plugins. */
  readonly pluginDir: string
  /** Where the plugin keeps its state. */
  readonly stateDir: string
  /** The region's network service. */
  readonly network: NetworkServiceOptions
  readonly log: Logger
  /** The driver's name (the socket's); default `kuryr`. */
  readonly name?: string
  /** The kernel; default iproute2 in `netns`. */
  readonly links?: VethLinks
  /** Retry delays of the clean-up tasks; default 1 s doubling to 60 s. */
  readonly cleanupBackoff?: { readonly baseMs: number; readonly maxMs: number }
}

export interface Netplugin {
  readonly socketPath: string
  readonly app: App
  readonly ctx: DriverContext
  /** Stops serving (the socket goes) and the clean-up retries; the state stays on disk. */
  stop(): Promise<void>
}

export async function startNetplugin(options: NetpluginOptions): Promise<Netplugin> {
  const name = options.name ?? DRIVER_NAME
  const log = options.log.child({ plugin: name, region: options.region, host: options.host })
  const state = await StateStore.open(options.stateDir)
  const neutron = new NetworkService(options.network)
  const cleanup = startCleanup({
    state,
    neutron,
    log,
    ...(options.cleanupBackoff ? { backoff: options.cleanupBackoff } : {}),
  })
  const ctx: DriverContext = {
    region: options.region,
    host: options.host,
    neutron,
    state,
    links: options.links ?? iprouteLinks(options.netns),
    cleanup,
    log,
  }
  const app = createApp(ctx)
  const socketPath = join(options.pluginDir, `${name}.sock`)
  try {
    await claimSocket(socketPath)
    await app.listen({ path: socketPath })
  } catch (error) {
    await app.close()
    await cleanup.stop()
    throw error
  }
  const pending = Object.keys(state.current.cleanup).length
  log.info(
    { socket: socketPath, endpoints: Object.keys(state.current.endpoints).length, pending },
    'network plugin serving',
  )
  return {
    socketPath,
    app,
    ctx,
    async stop() {
      await app.close()
      await cleanup.stop()
      await rm(socketPath, { force: true })
    },
  }
}

/**
 * Makes the socket's directory (Node reports a missing one as EACCES: gotcha 7) and removes a
 * socket nobody serves any more (a plugin that was killed); one that answers is an error.
 */
async function claimSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 })
  const answering = await new Promise<boolean>((resolve) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
  if (answering) throw new Error(`${path}: another plugin is serving this socket`)
  await rm(path, { force: true })
}
