/**
 * The compute agent's own API, which the region's container service calls (service role) for
 * what Zun answers from the compute host: logs, execute (and its console), attach, top,
 * stats, archives and commit. Faults are Zun's shape, so the service passes them through.
 */
import {
  caller,
  createServer,
  isAdmin,
  isService,
  useAuth,
  zunFault,
  BadRequest,
  Forbidden,
  type App,
  type Logger,
  type TokenVerifier,
} from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import type { ConsoleServer } from './console/index.js'
import type { ContainerEngine, LogOptions } from './docker/index.js'
import type { ImageUploader } from './image-upload.js'

export interface AgentApiDeps {
  engine: ContainerEngine
  console: ConsoleServer
  uploader: ImageUploader
  verifier: TokenVerifier
  log: Logger
}

type Req = FastifyRequest<{ Params: { uuid: string }; Body: Record<string, unknown> | undefined }>

function requireService(req: FastifyRequest): void {
  const ctx = caller(req)
  if (!isService(ctx) && !isAdmin(ctx))
    throw new Forbidden('Only the container service calls the compute agent.')
}

const str = (body: Record<string, unknown> | undefined, key: string): string => {
  const value = body?.[key]
  if (typeof value !== 'string' || value === '') throw new BadRequest(`${key} is required.`)
  return value
}
const num = (body: Record<string, unknown> | undefined, key: string): number =>
  Number(body?.[key] ?? 0)

export function createAgentApi(deps: AgentApiDeps): App {
  const { engine } = deps
  const app = createServer({ log: deps.log, fault: zunFault, bodyLimit: 512 * 1024 * 1024 })
  useAuth(app, deps.verifier)
  app.addHook('preHandler', async (req) => requireService(req))
  const post = (action: string, handler: (req: Req, uuid: string) => Promise<unknown>) =>
    app.post<{ Params: { uuid: string }; Body: Record<string, unknown> | undefined }>(
      `/containers/:uuid/${action}`,
      async (req, reply) => {
        const result = await handler(req, req.params.uuid)
        return result === undefined ? reply.code(204).send() : result
      },
    )
  const dockerIdOf = async (uuid: string) => {
    const seen = await engine.inspect(uuid)
    if (!seen) throw new BadRequest(`Container ${uuid} is not on this host.`)
    return seen
  }

  post('logs', async (req, uuid) => ({
    logs: await engine.logs(uuid, req.body as unknown as LogOptions),
  }))
  post('execute', async (req, uuid) => {
    const command = req.body?.command
    if (!Array.isArray(command) || command.some((c) => typeof c !== 'string'))
      throw new BadRequest('command must be a list of strings.')
    if (req.body?.interactive === true) {
      const seen = await dockerIdOf(uuid)
      const issued = await deps.console.issueExec(seen.dockerId, uuid, command as string[], {
        tty: req.body.tty === true,
      })
      return { output: null, exit_code: null, exec_id: issued.execId, proxy_url: issued.proxyUrl }
    }
    const result = await engine.exec(uuid, command as string[])
    return { output: result.output, exit_code: result.exitCode, exec_id: null, proxy_url: null }
  })
  post('execute_resize', async (req) => {
    await deps.console.resizeExec(str(req.body, 'exec_id'), num(req.body, 'w'), num(req.body, 'h'))
    return undefined
  })
  post('attach', async (_req, uuid) => {
    const seen = await dockerIdOf(uuid)
    return { url: deps.console.issueAttach(seen.dockerId, uuid).proxyUrl }
  })
  post('resize', async (req, uuid) => {
    const seen = await dockerIdOf(uuid)
    await deps.console.resizeContainer(seen.dockerId, num(req.body, 'w'), num(req.body, 'h'))
    return undefined
  })
  post('top', async (req, uuid) => {
    const psArgs = req.body?.ps_args
    return engine.top(uuid, typeof psArgs === 'string' ? psArgs : undefined)
  })
  post('stats', async (_req, uuid) => engine.stats(uuid))
  post('get_archive', async (req, uuid) => {
    const archive = await engine.getArchive(uuid, str(req.body, 'path'))
    return { data: archive.data.toString('base64'), stat: archive.stat }
  })
  post('put_archive', async (req, uuid) => {
    await engine.putArchive(
      uuid,
      str(req.body, 'path'),
      Buffer.from(str(req.body, 'data'), 'base64'),
    )
    return undefined
  })
  post('commit', async (req, uuid) => {
    const repository = str(req.body, 'repository')
    const tag = str(req.body, 'tag')
    const imageId = str(req.body, 'image_id')
    const token = str(req.body, 'token')
    await engine.commit(uuid, { repository, tag })
    // The upload can take a while; the client polls the image's status, as with Zun.
    void deps.uploader
      .upload({ ref: `${repository}:${tag}`, imageId, token })
      .catch((error: unknown) =>
        deps.log.warn({ err: error, image: imageId }, 'could not upload a committed image'),
      )
    return undefined
  })
  return app
}
