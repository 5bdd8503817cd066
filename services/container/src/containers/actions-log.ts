import type { FastifyRequest } from 'fastify'
import { caller, type App } from '@tricircle/core'
import type { ContainerDeps } from '../deps.js'
import { findContainer } from './repository.js'
import { zunTime } from './view.js'
import { ResourceNotFound } from '../errors.js'

/** Records a user's action on a container, as Zun's `container_actions` does. */
export async function recordAction(
  deps: ContainerDeps,
  req: FastifyRequest,
  uuid: string,
  action: string,
  message: string | null = null,
): Promise<void> {
  const ctx = caller(req)
  const at = new Date(deps.clock.now()).toISOString()
  await deps.db
    .insertInto('container_actions')
    .values({
      id: undefined,
      request_id: req.id,
      container_uuid: uuid,
      action,
      project_id: ctx.projectId ?? '',
      user_id: ctx.userId,
      message,
      start_time: at,
      finish_time: null,
    })
    .execute()
}

/** `GET …/container_actions[/{request_id}]`. */
export function actionLogRoutes(app: App, deps: ContainerDeps): void {
  const view = (a: {
    action: string
    container_uuid: string
    message: string | null
    project_id: string
    request_id: string
    start_time: string
    finish_time: string | null
    user_id: string
  }) => ({
    action: a.action,
    container_uuid: a.container_uuid,
    message: a.message,
    project_id: a.project_id,
    request_id: a.request_id,
    start_time: zunTime(a.start_time),
    finish_time: zunTime(a.finish_time),
    user_id: a.user_id,
  })
  app.get<{ Params: { id: string } }>('/v1/containers/:id/container_actions', async (req) => {
    const row = await findContainer(deps.db, caller(req), req.params.id, true)
    const actions = await deps.db
      .selectFrom('container_actions')
      .selectAll()
      .where('container_uuid', '=', row.uuid)
      .orderBy('id', 'desc')
      .execute()
    return { containerActions: actions.map(view) }
  })
  app.get<{ Params: { id: string; requestId: string } }>(
    '/v1/containers/:id/container_actions/:requestId',
    async (req) => {
      const row = await findContainer(deps.db, caller(req), req.params.id, true)
      const action = await deps.db
        .selectFrom('container_actions')
        .selectAll()
        .where('container_uuid', '=', row.uuid)
        .where('request_id', '=', req.params.requestId)
        .executeTakeFirst()
      if (!action) throw new ResourceNotFound(`Action ${req.params.requestId} could not be found.`)
      return { ...view(action), events: [] }
    },
  )
}
