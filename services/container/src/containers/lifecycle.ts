/**
 * The asynchronous actions: start, stop, reboot, pause, unpause, kill, rebuild and delete. Each
 * answers 202 (delete 204) once the operation is handed to the host's agent.
 */
import { caller, isAdmin, type App } from '@tricircle/core'
import type { ContainerDeps } from '../deps.js'
import { Invalid, PolicyNotAuthorized } from '../errors.js'
import { requireParamVersion } from '../microversion.js'
import { booleanOf } from './create-body.js'
import { tokenOf } from './create.js'
import { handOver } from './operations.js'
import { containerOf, type ContainerRequest } from './repository.js'
import { checkState, Status } from './states.js'

type Req = ContainerRequest

function timeoutOf(raw: string | undefined): number {
  if (raw === undefined || raw === 'None') return 10
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0)
    throw new Invalid(`Invalid timeout ${raw}: it must be a non-negative integer.`)
  return n
}

const SIGNAL = /^(SIG)?[A-Z0-9]+$|^\d+$/

export function lifecycleRoutes(app: App, deps: ContainerDeps): void {
  const find = (req: Req) => containerOf(deps.db, req)
  const post = (action: string, handler: (req: Req) => Promise<void>) =>
    app.post<{ Params: { id: string }; Querystring: Record<string, string> }>(
      `/v1/containers/:id/${action}`,
      async (req, reply) => {
        await handler(req)
        return reply.code(202).send()
      },
    )

  post(
    'start',
    async (req) => void (await handOver(deps, req, await find(req), 'start', { op: 'start' })),
  )
  post('stop', async (req) => {
    const timeout = timeoutOf(req.query.timeout)
    await handOver(deps, req, await find(req), 'stop', { op: 'stop', timeout })
  })
  post('reboot', async (req) => {
    const timeout = timeoutOf(req.query.timeout)
    await handOver(
      deps,
      req,
      await find(req),
      'reboot',
      { op: 'reboot', timeout },
      { status: Status.Restarting },
    )
  })
  post(
    'pause',
    async (req) => void (await handOver(deps, req, await find(req), 'pause', { op: 'pause' })),
  )
  post(
    'unpause',
    async (req) => void (await handOver(deps, req, await find(req), 'unpause', { op: 'unpause' })),
  )
  post('kill', async (req) => {
    const raw = req.query.signal
    const signal = raw === undefined || raw === 'None' ? undefined : raw.toUpperCase()
    if (signal !== undefined && !SIGNAL.test(signal)) throw new Invalid(`Invalid signal ${raw}.`)
    await handOver(deps, req, await find(req), 'kill', {
      op: 'kill',
      ...(signal ? { signal } : {}),
    })
  })
  post('rebuild', async (req) => {
    const row = await find(req)
    const image = req.query.image
    const imageId = image ? await deps.images.image(tokenOf(req), image) : undefined
    await handOver(
      deps,
      req,
      row,
      'rebuild',
      { op: 'rebuild', ...(image ? { image, imageId } : {}), run: row.status === Status.Running },
      { status: Status.Rebuilding },
    )
    if (image && imageId) {
      await deps.db
        .updateTable('containers')
        .set({ image, image_id: imageId })
        .where('uuid', '=', row.uuid)
        .execute()
    }
  })

  app.delete<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/containers/:id',
    async (req, reply) => {
      const ctx = caller(req)
      const force = req.query.force === undefined ? false : booleanOf('force', req.query.force)
      const stop = req.query.stop === undefined ? false : booleanOf('stop', req.query.stop)
      // Zun's version_check: `force` from 1.7 (and admins only), `stop` from 1.12.
      if (force) requireParamVersion(req, 'force', '1.7')
      if (stop) requireParamVersion(req, 'stop', '1.12')
      if (force && !isAdmin(ctx)) throw new PolicyNotAuthorized('container:delete_force')
      const row = await find(req)
      // Never placed (no host, or nothing made yet): nothing on any engine to undo.
      if (!row.host) {
        const state = stop ? 'delete_after_stop' : 'delete'
        if (!force) checkState(row, state)
        await deps.db.deleteFrom('containers').where('uuid', '=', row.uuid).execute()
        deps.revision.bump()
        return reply.code(204).send()
      }
      await handOver(
        deps,
        req,
        row,
        force ? 'delete_force' : stop ? 'delete_after_stop' : 'delete',
        { op: 'delete', force, stop },
        { status: Status.Deleting, supersede: force },
      )
      return reply.code(204).send()
    },
  )
}
