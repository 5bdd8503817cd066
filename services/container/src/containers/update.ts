/**
 * `PATCH /v1/containers/{id}` (name, cpu, memory, auto_heal), `POST …/rename` (up to 1.13) and
 * `POST …/resize_container` (from 1.19). A new name is the service's alone; new cpu or memory
 * of a placed container go to its agent, which applies them to the running container.
 */
import type { App } from '@tricircle/core'
import type { ContainerDeps } from '../deps.js'
import type { ContainerRow } from '../db.js'
import { baseUrl } from '../discovery.js'
import { Conflicts, Invalid } from '../errors.js'
import { requireVersion } from '../microversion.js'
import { booleanOf } from './create-body.js'
import { handOver } from './operations.js'
import { containerOf, type ContainerRequest } from './repository.js'
import { checkState } from './states.js'
import { toContainer } from './view.js'

type Req = ContainerRequest

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

interface Changes {
  name?: string
  cpu?: number
  memory?: number
  auto_heal?: boolean
}

function parseChanges(body: unknown, allowed: readonly string[]): Changes {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Invalid('Invalid input: the request body must be a JSON object.')
  }
  const b = body as Record<string, unknown>
  const out: Changes = {}
  for (const [key, value] of Object.entries(b)) {
    if (!allowed.includes(key))
      throw new Invalid(`Additional properties are not allowed ('${key}' was unexpected)`)
    if (value === null || value === undefined) continue
    if (key === 'name') {
      if (
        typeof value !== 'string' ||
        value.length < 2 ||
        value.length > 255 ||
        !NAME.test(value)
      ) {
        throw new Invalid(
          `Invalid input for field/attribute name. Value: ${JSON.stringify(value)}.`,
        )
      }
      out.name = value
    } else if (key === 'cpu') {
      const n = Number(value)
      if (!Number.isFinite(n) || n < 0.1 || n > 16 || typeof value === 'boolean') {
        throw new Invalid(
          `Invalid input for field/attribute cpu. Value: ${JSON.stringify(value)}. It must be between 0.1 and 16.`,
        )
      }
      out.cpu = n
    } else if (key === 'memory') {
      const n = Number(typeof value === 'string' ? value.replace(/[mM]$/, '') : value)
      if (!Number.isInteger(n) || n < 4 || n > 8192 || typeof value === 'boolean') {
        throw new Invalid(
          `Invalid input for field/attribute memory. Value: ${JSON.stringify(value)}. It must be between 4 and 8192.`,
        )
      }
      out.memory = n
    } else if (key === 'auto_heal') out.auto_heal = booleanOf('auto_heal', value)
  }
  if (Object.keys(out).length === 0)
    throw new Invalid('Nothing to update: give name, cpu, memory or auto_heal.')
  return out
}

export function updateRoutes(app: App, deps: ContainerDeps): void {
  const find = (req: Req) => containerOf(deps.db, req)

  async function apply(req: Req, row: ContainerRow, changes: Changes): Promise<ContainerRow> {
    checkState(row, 'update')
    if (changes.name !== undefined && changes.name !== row.name) {
      const clash = await deps.db
        .selectFrom('containers')
        .select('uuid')
        .where('project_id', '=', row.project_id)
        .where('name', '=', changes.name)
        .executeTakeFirst()
      if (clash) throw new Conflicts(`A container with name ${changes.name} already exists.`)
    }
    const resources = changes.cpu !== undefined || changes.memory !== undefined
    if (resources && row.host) {
      await handOver(deps, req, row, 'update', {
        op: 'update',
        ...(changes.cpu !== undefined ? { cpu: changes.cpu } : {}),
        ...(changes.memory !== undefined ? { memory: changes.memory } : {}),
      })
    }
    await deps.db
      .updateTable('containers')
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.cpu !== undefined ? { cpu: changes.cpu } : {}),
        ...(changes.memory !== undefined ? { memory: String(changes.memory) } : {}),
        ...(changes.auto_heal !== undefined ? { auto_heal: changes.auto_heal ? 1 : 0 } : {}),
        updated_at: new Date(deps.clock.now()).toISOString(),
      })
      .where('uuid', '=', row.uuid)
      .execute()
    deps.revision.bump()
    return await deps.db
      .selectFrom('containers')
      .selectAll()
      .where('uuid', '=', row.uuid)
      .executeTakeFirstOrThrow()
  }

  app.patch<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/containers/:id',
    async (req) => {
      const changes = parseChanges(req.body, ['name', 'cpu', 'memory', 'auto_heal'])
      const row = await apply(req, await find(req), changes)
      return toContainer(row, baseUrl(req, deps.config.bind.publicUrl))
    },
  )

  app.post<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/containers/:id/rename',
    async (req) => {
      requireVersion(req, '1.1', '1.13')
      const changes = parseChanges({ name: req.query.name }, ['name'])
      const row = await apply(req, await find(req), changes)
      return toContainer(row, baseUrl(req, deps.config.bind.publicUrl))
    },
  )

  app.post<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/containers/:id/resize_container',
    async (req, reply) => {
      requireVersion(req, '1.19')
      const changes = parseChanges(req.body, ['cpu', 'memory'])
      const row = await apply(req, await find(req), changes)
      return reply.code(202).send(toContainer(row, baseUrl(req, deps.config.bind.publicUrl)))
    },
  )
}
