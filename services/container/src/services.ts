/**
 * `/v1/services` (admin): each registered compute host is one `zun-compute` service. Its state
 * comes from the agent's heartbeats; disabling or forcing it down keeps the scheduler from
 * placing new containers there, as in Zun.
 */
import type { FastifyRequest } from 'fastify'
import { caller, isAdmin, NotFound, type App } from '@tricircle/core'
import type { ComputeHostRow } from './db.js'
import type { ContainerDeps } from './deps.js'
import { Conflicts, Invalid, PolicyNotAuthorized } from './errors.js'
import { isUp } from './scheduler.js'
import { zunTime } from './containers/view.js'

const BINARY = 'zun-compute'

/** Zun's name for an unknown (host, binary). */
export class ZunServiceNotFound extends NotFound {
  constructor(binary: string, host: string) {
    super(`Zun service ${binary} on host ${host} could not be found.`)
  }
}

type ServiceQuery = Record<string, string | undefined>

/**
 * Zun's integer service id. Hosts have a uuid, not a row number; the uuid's leading bits give
 * an id that stays the same for the host's lifetime, whatever else is registered or deleted.
 */
export const serviceId = (uuid: string): number =>
  // Like a row id: positive and within a 32-bit integer.
  1 + (Number.parseInt(uuid.slice(0, 8), 16) >>> 2)

function requireAdmin(req: FastifyRequest, rule: string): void {
  if (!isAdmin(caller(req))) throw new PolicyNotAuthorized(rule)
}

/** oslo's strict `bool_from_string`. */
function strictBoolean(field: string, raw: string | undefined): boolean {
  if (raw !== undefined && /^(1|t|true|on|y|yes)$/i.test(raw)) return true
  if (raw !== undefined && /^(0|f|false|off|n|no)$/i.test(raw)) return false
  throw new Invalid(
    `Unrecognized value '${raw ?? ''}' for ${field}, acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
  )
}

/** Checks a query as Zun's schema does: only the named parameters, host and binary required. */
function checkQuery(q: ServiceQuery, allowed: string[]): { host: string; binary: string } {
  for (const key of Object.keys(q)) {
    if (!['host', 'binary', ...allowed].includes(key)) {
      throw new Invalid(`Additional properties are not allowed ('${key}' was unexpected)`)
    }
  }
  const { host, binary } = q
  // A repeated parameter arrives as an array: refuse it like a missing one.
  if (typeof host !== 'string' || host === '' || host.length > 255) {
    throw new Invalid('Invalid input for field/attribute host.')
  }
  if (typeof binary !== 'string' || binary === '' || binary.length > 255) {
    throw new Invalid('Invalid input for field/attribute binary.')
  }
  // Compute hosts are the only services a region's agents register.
  if (binary !== BINARY) throw new Invalid(`Invalid binary ${binary}: only ${BINARY} is supported.`)
  return { host, binary }
}

export function serviceRoutes(app: App, deps: ContainerDeps): void {
  const toService = (row: ComputeHostRow, now: number) => ({
    id: serviceId(row.uuid),
    host: row.hostname,
    binary: BINARY,
    state: isUp(row, now, deps.config.scheduler.serviceDownSeconds) ? 'up' : 'down',
    disabled: Number(row.disabled) === 1,
    disabled_reason: row.disabled_reason,
    forced_down: Number(row.forced_down) === 1,
    availability_zone: row.availability_zone || deps.config.region,
    report_count: Number(row.report_count),
    last_seen_up: zunTime(row.last_seen_up),
    created_at: zunTime(row.created_at),
    updated_at: zunTime(row.updated_at),
  })

  async function hostRow(host: string, binary: string): Promise<ComputeHostRow> {
    const row = await deps.db
      .selectFrom('compute_hosts')
      .selectAll()
      .where('hostname', '=', host)
      .executeTakeFirst()
    if (!row) throw new ZunServiceNotFound(binary, host)
    return row
  }

  async function update(host: string, changes: Partial<ComputeHostRow>): Promise<void> {
    const at = new Date(deps.clock.now()).toISOString()
    await deps.db
      .updateTable('compute_hosts')
      .set({ ...changes, updated_at: at })
      .where('hostname', '=', host)
      .execute()
    deps.revision.bump()
  }

  app.get('/v1/services', async (req) => {
    requireAdmin(req, 'zun-service:get_all')
    const rows = await deps.db
      .selectFrom('compute_hosts')
      .selectAll()
      .orderBy('created_at')
      .orderBy('hostname')
      .execute()
    const now = deps.clock.now()
    return { services: rows.map((r) => toService(r, now)) }
  })

  app.delete<{ Querystring: ServiceQuery }>('/v1/services', async (req, reply) => {
    requireAdmin(req, 'zun-service:delete')
    const { host, binary } = checkQuery(req.query, [])
    await hostRow(host, binary)
    const placed = await deps.db
      .selectFrom('containers')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('host', '=', host)
      .executeTakeFirstOrThrow()
    // Its containers would be orphaned: no agent would carry out their operations.
    if (Number(placed.n) > 0) {
      throw new Conflicts(`Host ${host} still has ${placed.n} container(s); delete them first.`)
    }
    await deps.db.deleteFrom('compute_hosts').where('hostname', '=', host).execute()
    deps.revision.bump()
    return reply.code(200).send()
  })

  app.put<{ Querystring: ServiceQuery }>('/v1/services/enable', async (req) => {
    requireAdmin(req, 'zun-service:enable')
    const { host, binary } = checkQuery(req.query, [])
    await hostRow(host, binary)
    await update(host, { disabled: 0, disabled_reason: null })
    return { service: { host, binary, disabled: false, disabled_reason: null } }
  })

  app.put<{ Querystring: ServiceQuery }>('/v1/services/disable', async (req) => {
    requireAdmin(req, 'zun-service:disable')
    const { host, binary } = checkQuery(req.query, ['disabled_reason'])
    const reason = req.query.disabled_reason ?? null
    if (reason !== null && (typeof reason !== 'string' || reason === '' || reason.length > 255)) {
      throw new Invalid('Invalid input for field/attribute disabled_reason.')
    }
    await hostRow(host, binary)
    await update(host, { disabled: 1, disabled_reason: reason })
    return { service: { host, binary, disabled: true, disabled_reason: reason } }
  })

  app.put<{ Querystring: ServiceQuery }>('/v1/services/force_down', async (req) => {
    requireAdmin(req, 'zun-service:force_down')
    const { host, binary } = checkQuery(req.query, ['forced_down'])
    const forcedDown = strictBoolean('forced_down', req.query.forced_down)
    await hostRow(host, binary)
    await update(host, { forced_down: forcedDown ? 1 : 0 })
    return { service: { host, binary, forced_down: forcedDown } }
  })
}
