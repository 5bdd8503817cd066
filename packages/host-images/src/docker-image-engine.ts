import type { Readable } from 'node:stream'
import Docker from 'dockerode'
import { ServiceUnavailable } from '@tricircle/core'
import type { ImageEngine } from './image-engine.js'

/** A dockerode client for `unix:///path/docker.sock` or `tcp://host:port` (DOCKER_HOST's forms). */
export function dockerClient(url: string): Docker {
  const parsed = new URL(url)
  if (parsed.protocol === 'unix:') return new Docker({ socketPath: parsed.pathname })
  if (parsed.protocol === 'tcp:' || parsed.protocol === 'http:') {
    return new Docker({ protocol: 'http', host: parsed.hostname, port: Number(parsed.port) })
  }
  throw new Error(`unsupported Docker engine URL ${url}`)
}

/** Socket errors of an engine that is not there (yet): its socket missing, refused or cut. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])

/**
 * A dockerode failure because the engine is not answering (stopped, restarting) as the service's
 * unavailability, so callers that retry later do; undefined for any other failure. The message
 * leaves out the socket's path: it ends up in a container's `status_reason`.
 */
export function engineUnreachable(error: unknown): ServiceUnavailable | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !UNREACHABLE.has(code)) return undefined
  return new ServiceUnavailable(`the container engine is unreachable (${code})`, { cause: error })
}

const unreachable = (error: unknown) => engineUnreachable(error) ?? error

/** `ImageEngine` over a real Docker engine. */
export function createDockerImageEngine(docker: Docker): ImageEngine {
  return {
    async inspect(ref) {
      try {
        const info = await docker.getImage(ref).inspect()
        return info.Id
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined
        throw unreachable(error)
      }
    },

    async load(archive: Readable) {
      const progress = await docker.loadImage(archive, { quiet: true }).catch((error: unknown) => {
        throw unreachable(error)
      })
      // The engine answers 200 and reports a bad archive inside the progress stream, so the
      // stream has to be read to the end for errors.
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(progress, (error: Error | null, events: ProgressEvent[]) => {
          const failed = events.find((e) => e.error ?? e.errorDetail)
          if (error) reject(error)
          else if (failed)
            reject(new Error(`docker load: ${failed.errorDetail?.message ?? failed.error}`))
          else resolve()
        })
      })
    },
  }
}

interface ProgressEvent {
  stream?: string
  error?: string
  errorDetail?: { message?: string }
}
