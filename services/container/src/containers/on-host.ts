/**
 * The synchronous actions Zun answers from the compute host: logs, execute (and its resize),
 * attach (and resize), top, stats, archives and commit. Each is forwarded to the agent of the
 * container's host as the service user; the agent's errors come back in Zun's shape.
 */
import { requestJson } from '@tricircle/client'
import type { App } from '@tricircle/core'
import type { ContainerDeps } from '../deps.js'
import type { ContainerRow } from '../db.js'
import { ContainerHostNotUp, Invalid } from '../errors.js'
import { isUp } from '../scheduler.js'
import { booleanOf, shellSplit } from './create-body.js'
import { recordAction } from './actions-log.js'
import { tokenOf } from './create.js'
import { containerOf, type ContainerRequest } from './repository.js'
import { checkState, type ContainerAction } from './states.js'

type Req = ContainerRequest

const flag = (name: string, raw: string | undefined, fallback: boolean) =>
  raw === undefined || raw === 'None' ? fallback : booleanOf(name, raw)

function dimension(name: string, raw: string | undefined): number {
  const n = Number(raw ?? 0)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Invalid(`Invalid ${name} ${raw}.`)
  return n
}

export function onHostRoutes(app: App, deps: ContainerDeps): void {
  const find = (req: Req) => containerOf(deps.db, req)

  async function callAgent<T>(row: ContainerRow, action: string, body: unknown): Promise<T> {
    const host = row.host
      ? await deps.db
          .selectFrom('compute_hosts')
          .selectAll()
          .where('hostname', '=', row.host)
          .executeTakeFirst()
      : undefined
    if (!host || !isUp(host, deps.clock.now(), deps.config.scheduler.serviceDownSeconds)) {
      throw new ContainerHostNotUp(row.uuid, row.host ?? 'none')
    }
    return deps.agents.call<T>(host.agent_url, 'POST', `/containers/${row.uuid}/${action}`, body)
  }

  const route = (
    method: 'GET' | 'POST',
    action: string,
    state: ContainerAction,
    handler: (req: Req, row: ContainerRow) => Promise<unknown>,
    code = 200,
  ) =>
    app.route<{ Params: { id: string }; Querystring: Record<string, string> }>({
      method,
      url: `/v1/containers/:id/${action}`,
      handler: async (req, reply) => {
        const row = await find(req)
        checkState(row, state)
        const result = await handler(req, row)
        // Zun answers logs and attach as a JSON string; fastify would send a string as text.
        if (typeof result === 'string') reply.type('application/json; charset=utf-8')
        return reply.code(code).send(result)
      },
    })

  route('GET', 'logs', 'logs', async (req, row) => {
    const q = req.query
    let stdout = flag('stdout', q.stdout, true)
    let stderr = flag('stderr', q.stderr, true)
    if (!stdout && !stderr) stdout = stderr = true
    const tail =
      q.tail === undefined || q.tail === 'all' || q.tail === 'None' ? 'all' : Number(q.tail)
    if (tail !== 'all' && (!Number.isInteger(tail) || tail < 0))
      throw new Invalid(`Invalid tail ${q.tail}.`)
    let since: number | undefined
    if (q.since !== undefined && q.since !== 'None') {
      since = /^\d+(\.\d+)?$/.test(q.since) ? Number(q.since) : Date.parse(q.since) / 1000
      if (!Number.isFinite(since)) throw new Invalid(`Invalid since ${q.since}.`)
    }
    const timestamps = flag('timestamps', q.timestamps, false)
    const { logs } = await callAgent<{ logs: string }>(row, 'logs', {
      stdout,
      stderr,
      timestamps,
      tail,
      since,
    })
    // Zun answers the log text as a JSON string.
    return JSON.stringify(logs)
  })

  route('POST', 'execute', 'execute', async (req, row) => {
    const command = shellSplit(req.query.command ?? '')
    if (command.length === 0) throw new Invalid('The command to execute is empty.')
    const run = flag('run', req.query.run, true)
    const interactive = flag('interactive', req.query.interactive, false)
    await recordAction(deps, req, row.uuid, 'exec')
    return callAgent(row, 'execute', { command, run, interactive, tty: row.tty === 1 })
  })

  route('POST', 'execute_resize', 'execute_resize', async (req, row) => {
    const execId = req.query.exec_id
    if (!execId) throw new Invalid('exec_id is required.')
    await callAgent(row, 'execute_resize', {
      exec_id: execId,
      w: dimension('w', req.query.w),
      h: dimension('h', req.query.h),
    })
    return undefined
  })

  route('GET', 'attach', 'attach', async (_req, row) => {
    if (row.interactive !== 1)
      throw new Invalid(`Container ${row.uuid} is not interactive: it cannot be attached to.`)
    const { url } = await callAgent<{ url: string }>(row, 'attach', {})
    return JSON.stringify(url)
  })

  route('POST', 'resize', 'resize', async (req, row) => {
    await callAgent(row, 'resize', {
      w: dimension('w', req.query.w),
      h: dimension('h', req.query.h),
    })
    return undefined
  })

  route('GET', 'top', 'top', async (req, row) => {
    const psArgs =
      req.query.ps_args === undefined || req.query.ps_args === 'None'
        ? undefined
        : req.query.ps_args
    return callAgent(row, 'top', psArgs ? { ps_args: psArgs } : {})
  })

  route('GET', 'stats', 'stats', async (_req, row) => callAgent(row, 'stats', {}))

  route('GET', 'get_archive', 'get_archive', async (req, row) => {
    const path = req.query.path
    if (!path) throw new Invalid('path is required.')
    const answer = await callAgent<{ data: string; stat: unknown }>(row, 'get_archive', { path })
    // Below 1.25 Zun sent the tar as a latin-1 string; from 1.25 it is base64.
    const data = req.apiVersion.atLeast('1.25')
      ? answer.data
      : Buffer.from(answer.data, 'base64').toString('latin1')
    return { data, stat: answer.stat }
  })

  route('POST', 'put_archive', 'put_archive', async (req, row) => {
    const path = req.query.path
    if (!path) throw new Invalid('path is required.')
    const data = (req.body as { data?: unknown } | undefined)?.data
    if (typeof data !== 'string') throw new Invalid('The body must be {"data": "<tar archive>"}.')
    const base64 = req.apiVersion.atLeast('1.25')
      ? data
      : Buffer.from(data, 'latin1').toString('base64')
    await callAgent(row, 'put_archive', { path, data: base64 })
    return undefined
  })

  route(
    'POST',
    'commit',
    'commit',
    async (req, row) => {
      const repository = req.query.repository
      if (!repository) throw new Invalid('repository is required.')
      const tag = req.query.tag && req.query.tag !== 'None' ? req.query.tag : 'latest'
      const token = tokenOf(req)
      // The image is made in the image service with the caller's token, so the caller owns it.
      const { body: image } = await requestJson<{ id: string }>(
        `${deps.config.image.url.replace(/\/+$/, '')}/v2/images`,
        {
          method: 'POST',
          headers: { 'x-auth-token': token },
          body: { name: repository, container_format: 'docker', disk_format: 'raw', tags: [tag] },
        },
      )
      await recordAction(deps, req, row.uuid, 'commit')
      await callAgent(row, 'commit', { repository, tag, image_id: image.id, token })
      return { uuid: image.id }
    },
    202,
  )
}
