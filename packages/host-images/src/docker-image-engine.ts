import type { Readable } from 'node:stream'
import Docker from 'dockerode'
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

/** `ImageEngine` over a real Docker engine. */
export function createDockerImageEngine(docker: Docker): ImageEngine {
  return {
    async inspect(ref) {
      try {
        const info = await docker.getImage(ref).inspect()
        return info.Id
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined
        throw error
      }
    },

    async load(archive: Readable) {
      const progress = await docker.loadImage(archive, { quiet: true })
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
