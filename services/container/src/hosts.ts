/**
 * `GET /v1/hosts[/{uuid or hostname}]` (≥1.4, admin): Zun's compute nodes. Capacity and the
 * host's facts are the agent's last report; what is used (cpu, memory, containers) is counted
 * from the containers placed on the host, so it agrees with what the scheduler sees.
 */
import type { FastifyRequest } from 'fastify'
import { caller, isAdmin, type App } from '@tricircle/core'
import type { HostCapacity } from './agent-contract.js'
import type { ComputeHostRow } from './db.js'
import type { ContainerDeps } from './deps.js'
import { baseUrl } from './discovery.js'
import { HostNotFound, Invalid, PolicyNotAuthorized } from './errors.js'
import { requireVersion } from './microversion.js'
import { usageByHost } from './scheduler.js'

const MAX_LIMIT = 1000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Keys a host list may be sorted by; `id` is Zun's row id, here the registration order. */
const SORT_KEYS = new Set([
  'id',
  'uuid',
  'hostname',
  'mem_total',
  'mem_used',
  'cpus',
  'cpu_used',
  'disk_total',
  'disk_used',
  'total_containers',
  'architecture',
  'os_type',
  'os',
  'kernel_version',
])

type HostView = Record<string, unknown> & { uuid: string }
type Usage = Awaited<ReturnType<typeof usageByHost>>

const hostNotFound = (ident: string) =>
  new HostNotFound(`Compute host ${ident} could not be found.`)

/** Zun's `hosts_view.format_host`, with every key later versions added. */
function toHost(req: FastifyRequest, row: ComputeHostRow, usage: Usage, base: string): HostView {
  const capacity = JSON.parse(row.capacity) as Partial<HostCapacity>
  const used = usage.get(row.hostname) ?? { cpu: 0, memory: 0, containers: 0 }
  return {
    uuid: row.uuid,
    links: [
      { href: `${base}/v1/hosts/${row.uuid}`, rel: 'self' },
      { href: `${base}/hosts/${row.uuid}`, rel: 'bookmark' },
    ],
    hostname: row.hostname,
    mem_total: capacity.mem_total ?? 0,
    mem_used: used.memory,
    cpus: capacity.cpus ?? 0,
    cpu_used: used.cpu,
    disk_total: capacity.disk_total ?? 0,
    disk_used: capacity.disk_used ?? 0,
    disk_quota_supported: false,
    total_containers: used.containers,
    architecture: capacity.architecture ?? null,
    os_type: capacity.os_type ?? null,
    os: capacity.os ?? null,
    kernel_version: capacity.kernel_version ?? null,
    labels: {},
    runtimes: capacity.runtimes ?? [],
    // Added to the view in 1.29.
    ...(req.apiVersion.atLeast('1.29') ? { enable_cpu_pinning: false } : {}),
  }
}

function requireAdmin(req: FastifyRequest, rule: string): void {
  if (!isAdmin(caller(req))) throw new PolicyNotAuthorized(rule)
}

/** Zun's `validate_limit`: a positive integer, at most the API's max. */
function limitOf(raw: string | undefined): number {
  if (raw === undefined) return MAX_LIMIT
  const limit = Number(raw)
  if (!/^\d+$/.test(raw) || limit <= 0) throw new Invalid('Limit must be positive integer')
  return Math.min(limit, MAX_LIMIT)
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  // Every sort key is a number or a string (null when the agent did not report it).
  const text = (v: unknown) => (typeof v === 'string' ? v : '')
  return text(a).localeCompare(text(b))
}

export function hostRoutes(app: App, deps: ContainerDeps): void {
  app.get<{ Querystring: Record<string, string> }>('/v1/hosts', async (req) => {
    requireVersion(req, '1.4')
    requireAdmin(req, 'container:host:get_all')
    const q = req.query
    const limit = limitOf(q.limit)
    const sortKey = q.sort_key ?? 'hostname'
    if (!SORT_KEYS.has(sortKey)) throw new Invalid(`Invalid sort_key ${sortKey}.`)
    const sortDir = (q.sort_dir ?? 'asc').toLowerCase()
    if (sortDir !== 'asc' && sortDir !== 'desc') {
      throw new Invalid(
        `Invalid sort direction: ${q.sort_dir}. Acceptable values are 'asc' or 'desc'`,
      )
    }
    const [rows, usage] = await Promise.all([
      deps.db.selectFrom('compute_hosts').selectAll().execute(),
      usageByHost(deps.db),
    ])
    const base = baseUrl(req, deps.config.bind.publicUrl)
    const created = new Map(rows.map((r) => [r.uuid, r.created_at]))
    const key = (h: HostView): unknown => (sortKey === 'id' ? created.get(h.uuid) : h[sortKey])
    const sign = sortDir === 'asc' ? 1 : -1
    const hosts = rows
      .map((r) => toHost(req, r, usage, base))
      // The uuid breaks ties so pages neither repeat nor skip a host.
      .sort((a, b) => sign * (compare(key(a), key(b)) || a.uuid.localeCompare(b.uuid)))
    let start = 0
    if (q.marker !== undefined) {
      const at = hosts.findIndex((h) => h.uuid === q.marker)
      if (at < 0) throw hostNotFound(q.marker)
      start = at + 1
    }
    const page = hosts.slice(start, start + limit)
    const more = page.length === limit && start + limit < hosts.length
    const next = more
      ? `${base}/v1/hosts?sort_key=${sortKey}&sort_dir=${sortDir}&limit=${limit}&marker=${page.at(-1)!.uuid}`
      : null
    return { hosts: page, next }
  })

  app.get<{ Params: { id: string } }>('/v1/hosts/:id', async (req) => {
    requireVersion(req, '1.4')
    requireAdmin(req, 'container:host:get')
    const ident = req.params.id
    const byUuid = UUID.test(ident)
    const row = await deps.db
      .selectFrom('compute_hosts')
      .selectAll()
      .where(byUuid ? 'uuid' : 'hostname', '=', byUuid ? ident.toLowerCase() : ident)
      .executeTakeFirst()
    if (!row) throw hostNotFound(ident)
    return toHost(req, row, await usageByHost(deps.db), baseUrl(req, deps.config.bind.publicUrl))
  })
}
