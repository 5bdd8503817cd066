/**
 * The routes compute agents call (service or admin role): a heartbeat that registers the host
 * and its capacity, a long poll of the containers placed on the host, and reports of what the
 * agent observed and which operation it finished. See `agent-contract.ts`.
 */
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { caller, isAdmin, isService, type App } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import type {
  ContainerReport,
  HostContainersResponse,
  HostReport,
  PendingOperation,
} from './agent-contract.js'
import type { ContainerDeps } from './deps.js'
import { ContainerNotFound, Invalid, PolicyNotAuthorized } from './errors.js'
import { toHostContainer } from './containers/view.js'

const MAX_WAIT_SECONDS = 60

const Text = Type.String({ maxLength: 65_535 })
const NullableText = Type.Union([Text, Type.Null()])
const Count = Type.Number({ minimum: 0 })
/** A heartbeat's shape; capacity fields may be missing (the host view shows 0), not mistyped. */
const HostReportBody = Type.Object({
  agent_url: Text,
  availability_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  capacity: Type.Partial(
    Type.Object({
      cpus: Count,
      cpu_used: Count,
      mem_total: Count,
      mem_used: Count,
      disk_total: Count,
      disk_used: Count,
      total_containers: Count,
      architecture: Text,
      os_type: Text,
      os: Text,
      kernel_version: Text,
      runtimes: Type.Array(Text),
    }),
  ),
})
/**
 * A report's shape. Agents are trusted callers, but what they report is stored and later read
 * back by every container route, so a malformed report is refused rather than kept.
 */
const ContainerReportBody = Type.Object({
  done: Type.Optional(Text),
  status: Type.Optional(Text),
  status_reason: Type.Optional(NullableText),
  status_detail: Type.Optional(NullableText),
  task_state: Type.Optional(NullableText),
  addresses: Type.Optional(
    Type.Union([
      Type.Record(
        Type.String(),
        Type.Array(
          Type.Object({
            addr: Text,
            version: Type.Union([Type.Literal(4), Type.Literal(6)]),
            port: Text,
            subnet_id: Text,
            preserve_on_delete: Type.Boolean(),
          }),
        ),
      ),
      Type.Null(),
    ]),
  ),
  requested_networks: Type.Optional(
    Type.Array(
      Type.Object({
        network: Text,
        port: Type.Optional(Text),
        fixed_ip: Type.Optional(Text),
        preserve_on_delete: Type.Boolean(),
      }),
    ),
  ),
  ports: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 65_535 }))),
  hostname: Type.Optional(NullableText),
  docker_id: Type.Optional(NullableText),
  started_at: Type.Optional(NullableText),
  deleted: Type.Optional(Type.Boolean()),
})

function requireAgent(req: FastifyRequest): void {
  const ctx = caller(req)
  if (!isService(ctx) && !isAdmin(ctx)) throw new PolicyNotAuthorized('container:agent')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function agentRoutes(app: App, deps: ContainerDeps): void {
  app.addHook('preClose', (done) => {
    deps.revision.close()
    done()
  })

  app.put<{ Params: { host: string } }>(
    '/v1/os-tricircle/hosts/:host',
    { schema: { body: HostReportBody }, preValidation: async (req) => requireAgent(req) },
    async (req) => {
      const body = req.body as HostReport
      const at = new Date(deps.clock.now()).toISOString()
      const hostname = req.params.host
      const zone = body.availability_zone ?? deps.config.region
      const known = await deps.db
        .selectFrom('compute_hosts')
        .selectAll()
        .where('hostname', '=', hostname)
        .executeTakeFirst()
      if (known) {
        await deps.db
          .updateTable('compute_hosts')
          .set({
            capacity: JSON.stringify(body.capacity),
            agent_url: body.agent_url,
            availability_zone: zone,
            report_count: known.report_count + 1,
            last_seen_up: at,
            updated_at: at,
          })
          .where('hostname', '=', hostname)
          .execute()
      } else {
        await deps.db
          .insertInto('compute_hosts')
          .values({
            uuid: randomUUID(),
            hostname,
            capacity: JSON.stringify(body.capacity),
            agent_url: body.agent_url,
            availability_zone: zone,
            report_count: 1,
            disabled: 0,
            disabled_reason: null,
            forced_down: 0,
            last_seen_up: at,
            created_at: at,
            updated_at: at,
          })
          .execute()
        deps.revision.bump()
      }
      return { host: hostname }
    },
  )

  app.get<{ Params: { host: string }; Querystring: { since?: string; timeout?: string } }>(
    '/v1/os-tricircle/hosts/:host/containers',
    async (req, reply): Promise<HostContainersResponse> => {
      requireAgent(req)
      const seconds = req.query.timeout === undefined ? 0 : Number(req.query.timeout)
      if (!(seconds >= 0 && seconds <= MAX_WAIT_SECONDS)) {
        throw new Invalid(`timeout must be seconds from 0 to ${MAX_WAIT_SECONDS}.`)
      }
      const gone = new AbortController()
      reply.raw.once('close', () => gone.abort())
      reply.header('cache-control', 'no-store')
      const revision = await deps.revision.wait(req.query.since, seconds * 1000, gone.signal)
      const rows = await deps.db
        .selectFrom('containers')
        .selectAll()
        .where('host', '=', req.params.host)
        .execute()
      return { revision, containers: rows.map(toHostContainer) }
    },
  )

  app.put<{ Params: { uuid: string } }>(
    '/v1/os-tricircle/containers/:uuid',
    // Who may report is checked before what is reported.
    { schema: { body: ContainerReportBody }, preValidation: async (req) => requireAgent(req) },
    async (req, reply) => {
      const body: unknown = req.body
      if (!isObject(body)) throw new Invalid('A container report must be a JSON object.')
      const report = body as ContainerReport
      const row = await deps.db
        .selectFrom('containers')
        .selectAll()
        .where('uuid', '=', req.params.uuid)
        .executeTakeFirst()
      if (!row) throw new ContainerNotFound(req.params.uuid)
      const pending = row.pending ? (JSON.parse(row.pending) as PendingOperation) : null
      const finishes = pending !== null && report.done === pending.id
      if (report.deleted && (finishes || pending?.op === 'delete' || row.status === 'Deleting')) {
        await deps.db.deleteFrom('containers').where('uuid', '=', row.uuid).execute()
        deps.revision.bump()
        return reply.code(204).send()
      }
      // While another operation is pending its status (Deleting, Restarting…) stands.
      const statusStands = pending !== null && !finishes
      const at = new Date(deps.clock.now()).toISOString()
      const json = (value: unknown) => JSON.stringify(value)
      const r = report
      await deps.db
        .updateTable('containers')
        .set({
          ...(finishes ? { pending: null, task_state: null } : {}),
          ...(!statusStands && r.status !== undefined ? { status: r.status } : {}),
          ...(!statusStands && r.status_reason !== undefined
            ? { status_reason: r.status_reason }
            : {}),
          ...(!statusStands && r.status_detail !== undefined
            ? { status_detail: r.status_detail }
            : {}),
          ...(r.task_state !== undefined && !finishes && !statusStands
            ? { task_state: r.task_state }
            : {}),
          ...(r.addresses !== undefined
            ? { addresses: r.addresses ? json(r.addresses) : null }
            : {}),
          ...(r.requested_networks !== undefined
            ? { requested_networks: json(r.requested_networks) }
            : {}),
          ...(r.ports !== undefined ? { ports: json(r.ports) } : {}),
          ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
          ...(r.docker_id !== undefined ? { docker_id: r.docker_id } : {}),
          ...(r.started_at !== undefined ? { started_at: r.started_at } : {}),
          updated_at: at,
        })
        .where('uuid', '=', row.uuid)
        .execute()
      if (finishes) {
        await deps.db
          .updateTable('container_actions')
          .set({
            finish_time: at,
            ...(r.status === 'Error' ? { message: r.status_reason ?? null } : {}),
          })
          .where('container_uuid', '=', row.uuid)
          .where('finish_time', 'is', null)
          .execute()
      }
      deps.revision.bump()
      return reply.code(204).send()
    },
  )
}
