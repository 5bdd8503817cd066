import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { caller, isAdmin, type AuthContext } from '@tricircle/core'
import type { PendingOperation } from '../agent-contract.js'
import type { ContainerDatabase, ContainerRow } from '../db.js'
import { Conflicts, ContainerNotFound, PolicyNotAuthorized } from '../errors.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether the request asks to see every project's containers (admins only; others get theirs). */
export function allProjects(req: FastifyRequest, raw: unknown): boolean {
  if (!isTrue(raw)) return false
  if (!isAdmin(caller(req))) throw new PolicyNotAuthorized('container:get_all_all_projects')
  return true
}

/** Zun's boolean query strings: `True`, `true`, `1`, `yes`, `on`. */
export const isTrue = (raw: unknown): boolean =>
  typeof raw === 'string' ? /^(1|t|true|y|yes|on)$/i.test(raw) : raw === true

/**
 * `{container_ident}`: a UUID is looked up by uuid, anything else by name, within the caller's
 * project unless an admin asked for all projects. Another project's container is a 404.
 */
export async function findContainer(
  db: ContainerDatabase,
  ctx: AuthContext,
  ident: string,
  everyProject = false,
): Promise<ContainerRow> {
  let query = db.selectFrom('containers').selectAll()
  query = UUID.test(ident)
    ? query.where('uuid', '=', ident.toLowerCase())
    : query.where('name', '=', ident)
  if (!everyProject || !isAdmin(ctx)) query = query.where('project_id', '=', ctx.projectId ?? '')
  const rows = await query.limit(2).execute()
  if (rows.length > 1) {
    throw new Conflicts(
      'Multiple containers exist with same name. Please use the container uuid instead.',
    )
  }
  if (!rows[0]) throw new ContainerNotFound(ident)
  return rows[0]
}

/** A fresh pending operation, with its own id. */
export function operation<T extends PendingOperation>(op: Omit<T, 'id'>): T {
  return { id: randomUUID(), ...op } as T
}

/** A request on one container: `/v1/containers/{id}…`, with Zun's query string. */
export type ContainerRequest = FastifyRequest<{
  Params: { id: string }
  Querystring: Record<string, string>
}>

/** The container a request names, as its caller may see it (`all_projects` for admins). */
export const containerOf = (db: ContainerDatabase, req: ContainerRequest): Promise<ContainerRow> =>
  findContainer(db, caller(req), req.params.id, allProjects(req, req.query.all_projects))
