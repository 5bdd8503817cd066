/**
 * `POST /v1/containers[?run=true]`: the API's half of Zun's create. It checks the body, resolves
 * the image, networks, ports and security groups with the caller's token (so what the caller
 * cannot see is not found), checks quota, places the container on a host and records it as
 * Creating with a `create` operation for that host's agent. The agent does the four steps.
 */
import { randomInt, randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { caller, isAdmin, type App, type AuthContext } from '@tricircle/core'
import type { PendingOperation, RequestedNetwork } from '../agent-contract.js'
import type { ContainerDeps } from '../deps.js'
import { Conflicts, Invalid, PolicyNotAuthorized } from '../errors.js'
import { baseUrl } from '../discovery.js'
import { checkQuota } from '../quota-usage.js'
import { chooseHost, NO_HOST_REASON } from '../scheduler.js'
import { parseCreateBody, type CreateBody } from './create-body.js'
import { recordAction } from './actions-log.js'
import { isTrue, operation } from './repository.js'
import { Status } from './states.js'
import { toContainer } from './view.js'

/** The caller's token, for reads on its behalf. */
export const tokenOf = (req: FastifyRequest): string => String(req.headers['x-auth-token'] ?? '')

const ADJECTIVES = [
  'brave',
  'calm',
  'eager',
  'fancy',
  'gentle',
  'happy',
  'jolly',
  'kind',
  'lucky',
  'proud',
]

/** Zun's requested networks, from `nets` or, without them, the project's first network. */
async function requestedNetworks(
  deps: ContainerDeps,
  token: string,
  ctx: AuthContext,
  body: CreateBody,
): Promise<RequestedNetwork[]> {
  if (!body.nets || body.nets.length === 0) {
    // Zun's choice: the project's own oldest network, else a shared one.
    const seen = await deps.networks.visibleNetworks(token)
    const first =
      seen.find((n) => n.project_id === ctx.projectId && !n.shared && !n.external) ??
      seen.find((n) => n.shared)
    if (!first) throw new Conflicts('There is no neutron network available')
    return [{ network: first.id, preserve_on_delete: false }]
  }
  const out: RequestedNetwork[] = []
  for (const net of body.nets) {
    if (net.port) {
      const port = await deps.networks.port(token, net.port)
      if (port.device_id || (port.device_owner && port.device_owner !== 'compute:kuryr')) {
        throw new Conflicts(`Port ${port.id} is still in use.`)
      }
      out.push({ network: port.network_id, port: port.id, preserve_on_delete: true })
      continue
    }
    const network = await deps.networks.network(token, net.network!)
    if (network.external && !network.shared && !isAdmin(ctx)) {
      throw new PolicyNotAuthorized('network:attach_external_network')
    }
    const fixed = net['v4-fixed-ip'] ?? net['v6-fixed-ip']
    out.push({
      network: network.id,
      ...(fixed ? { fixed_ip: fixed } : {}),
      preserve_on_delete: false,
    })
  }
  const ids = out.map((n) => n.network)
  if (new Set(ids).size !== ids.length)
    throw new Invalid('A container can be on each network only once.')
  return out
}

/** Runs `work`s one after another, in call order. */
function serialized(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return (work) => {
    const run = tail.then(work, work)
    tail = run.catch(() => undefined)
    return run
  }
}

async function checkName(deps: ContainerDeps, projectId: string, name: string): Promise<void> {
  const clash = await deps.db
    .selectFrom('containers')
    .select('uuid')
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (clash) throw new Conflicts(`A container with name ${name} already exists.`)
}

export function createRoutes(app: App, deps: ContainerDeps): void {
  const placing = serialized()
  app.post<{ Querystring: Record<string, string> }>('/v1/containers', async (req, reply) => {
    const ctx = caller(req)
    const body = parseCreateBody(req)
    const run = isTrue(req.query.run)
    const token = tokenOf(req)
    if (body.privileged) throw new PolicyNotAuthorized('container:create:privileged')
    if (body.host !== undefined && !isAdmin(ctx))
      throw new PolicyNotAuthorized('container:create:requested_destination')
    const projectId = ctx.projectId
    if (!projectId) throw new PolicyNotAuthorized('container:create')
    const name =
      body.name ?? `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${randomInt(1000, 10000)}-container`
    // Early, before the lookups; again when placing.
    await checkName(deps, projectId, name)

    const [imageId, networks, groups] = await Promise.all([
      deps.images.image(token, body.image),
      requestedNetworks(deps, token, ctx, body),
      Promise.all(body.security_groups.map((g) => deps.networks.securityGroup(token, g))),
    ])
    // Quota, host choice and insert see every earlier create's row: one placement at a time.
    const uuid = randomUUID()
    const { row, host } = await placing(async () => {
      await checkName(deps, projectId, name)
      await checkQuota(deps.db, projectId, {
        containers: 1,
        cpu: body.cpu,
        memory: body.memory ?? 0,
        disk: body.disk,
      })
      const now = deps.clock.now()
      const host = await chooseHost(
        deps.db,
        {
          cpu: body.cpu,
          ...(body.memory !== undefined ? { memory: body.memory } : {}),
          ...(body.host !== undefined ? { host: body.host } : {}),
          ...(body.availability_zone ? { availabilityZone: body.availability_zone } : {}),
        },
        now,
        deps.config.scheduler,
      )
      const at = new Date(now).toISOString()
      const pending = operation<PendingOperation & { op: 'create' }>({ op: 'create', run })
      const row = {
        uuid,
        name,
        project_id: projectId,
        user_id: ctx.userId,
        image: body.image,
        image_id: imageId,
        image_driver: body.image_driver,
        image_pull_policy: body.image_pull_policy ?? null,
        command: body.command ? JSON.stringify(body.command) : null,
        entrypoint: body.entrypoint ? JSON.stringify(body.entrypoint) : null,
        cpu: body.cpu,
        memory: body.memory === undefined ? null : String(body.memory),
        disk: body.disk,
        environment: JSON.stringify(body.environment),
        workdir: body.workdir ?? null,
        labels: JSON.stringify(body.labels),
        restart_policy: body.restart_policy ? JSON.stringify(body.restart_policy) : null,
        interactive: body.interactive ? 1 : 0,
        tty: body.tty ? 1 : 0,
        hostname: body.hostname ?? null,
        auto_remove: body.auto_remove ? 1 : 0,
        auto_heal: body.auto_heal ? 1 : 0,
        privileged: 0,
        runtime: 'runc',
        availability_zone: body.availability_zone ?? null,
        security_groups: JSON.stringify(groups),
        requested_networks: JSON.stringify(networks),
        addresses: null,
        ports: '[]',
        host: host ?? null,
        status: host ? Status.Creating : Status.Error,
        status_reason: host ? null : NO_HOST_REASON,
        status_detail: null,
        task_state: host ? 'container_creating' : null,
        pending: host ? JSON.stringify(pending) : null,
        docker_id: null,
        started_at: null,
        created_at: at,
        updated_at: at,
      }
      await deps.db.insertInto('containers').values(row).execute()
      return { row, host }
    })
    await recordAction(deps, req, uuid, 'create', host ? null : NO_HOST_REASON)
    deps.revision.bump()
    const base = baseUrl(req, deps.config.bind.publicUrl)
    reply.header('location', `${base}/v1/containers/${uuid}`)
    return reply.code(202).send(toContainer(row, base))
  })
}
