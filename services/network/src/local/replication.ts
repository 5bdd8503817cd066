import { createHash } from 'node:crypto'
import { caller, isAdmin, isService, NotFound, type App, type AuthContext } from '@tricircle/core'
import { isValidIp } from '@tricircle/netaddr'
import { InvalidInput, PolicyNotAuthorized, ResourceNotFound } from '../errors.js'
import { listResponse, type ListSpec } from '../listing.js'
import type { LocalDeps } from './deps.js'
import { isCopyType, type CopyType, type HostRow, type HostStore, type Resource } from './db.js'
import { queryOf } from './http.js'
import type { RegionCopies } from './region.js'
import { mergedView } from './views.js'

/** The agent type host agents are listed as (the central service's shadow agents use it too). */
export const AGENT_TYPE = 'Linux bridge agent'

function requireService(ctx: AuthContext, action: string): void {
  if (!isService(ctx)) throw new PolicyNotAuthorized(`tricircle:${action}`)
}

function copyType(raw: string): CopyType {
  if (!isCopyType(raw)) throw new ResourceNotFound(`No copies of resource type ${raw}.`)
  return raw
}

class CopyNotFound extends NotFound {
  constructor(type: string, id: string) {
    super(`This region holds no copy of ${type} ${id}.`)
  }
}

class HostNotFound extends NotFound {
  constructor(host: string) {
    super(`Host ${host} has not registered in this region.`)
  }
}

class AgentNotFound extends NotFound {
  constructor(id: string) {
    super(`Agent ${id} could not be found.`)
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The region's API for the central service's jobs (service role only): put, remove and list the
 * copies it keeps (`/v2.0/os-tricircle/copies/{type}[/{id}]`), so central can push updates,
 * shadow ports and deletions and diff what a region holds. A pushed body replaces central's part
 * of a copy; the region's own overrides (a subnet's gateway) stay.
 */
export function replicationRoutes(app: App, copies: RegionCopies): void {
  const { store, log } = copies

  app.put<{ Params: { type: string; id: string }; Body: unknown }>(
    '/v2.0/os-tricircle/copies/:type/:id',
    async (req) => {
      requireService(caller(req), 'put_copy')
      const type = copyType(req.params.type)
      const { id } = req.params
      const given = isObject(req.body) ? req.body.copy : undefined
      if (!isObject(given)) throw new InvalidInput(`the body must be {"copy": {...the ${type}}}`)
      if (given.id !== undefined && given.id !== id) {
        throw new InvalidInput(`copy id ${JSON.stringify(given.id)} does not match the URL's ${id}`)
      }
      const body = { ...given, id } as Resource
      const existing = await store.get(type, id)
      if (type === 'subnet' && !existing?.overrides.gateway_ip) {
        // A subnet new to the region gets its own gateway, as a lazily made copy would.
        try {
          return { copy: await copies.ensureSubnet(id, undefined, body) }
        } catch (error) {
          log.warn({ err: error, subnet: id }, 'pushed subnet kept without a region gateway')
        }
      }
      await store.put(type, body)
      const stored = await store.get(type, id)
      return { copy: stored ? mergedView(stored) : body }
    },
  )

  app.delete<{ Params: { type: string; id: string } }>(
    '/v2.0/os-tricircle/copies/:type/:id',
    async (req, reply) => {
      requireService(caller(req), 'delete_copy')
      const type = copyType(req.params.type)
      await store.delete(type, req.params.id)
      if (type === 'network') {
        await store.deleteOnNetwork('subnet', req.params.id)
        await store.deleteOnNetwork('port', req.params.id)
      }
      return reply.code(204).send()
    },
  )

  app.get<{ Params: { type: string; id: string } }>(
    '/v2.0/os-tricircle/copies/:type/:id',
    async (req) => {
      requireService(caller(req), 'get_copy')
      const type = copyType(req.params.type)
      const copy = await store.get(type, req.params.id)
      if (!copy) throw new CopyNotFound(type, req.params.id)
      return { copy: mergedView(copy) }
    },
  )

  /** Every query key filters on the attribute of that name (values OR'ed, keys AND'ed). */
  app.get<{ Params: { type: string } }>('/v2.0/os-tricircle/copies/:type', async (req) => {
    requireService(caller(req), 'get_copies')
    const type = copyType(req.params.type)
    const query = queryOf(req)
    const networkIds = query.getAll('network_id')
    const stored = await store.list(type, networkIds.length ? { networkIds } : {})
    const keys = [...new Set(query.keys())]
    const views = stored.map(mergedView).filter((item) =>
      keys.every((key) => {
        const value = item[key]
        const text = typeof value === 'string' ? value : JSON.stringify(value ?? '')
        return query.getAll(key).includes(text)
      }),
    )
    return { copies: views }
  })
}

/** `2026-11-26T10:00:00Z` as Neutron prints agent times: `2026-11-26 10:00:00`. */
const agentTime = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '')

/** A stable agent id for a host of this region (a name-based, version-5 style UUID). */
function agentId(region: string, host: string): string {
  const b = createHash('sha1').update(`${region}\0${host}`).digest().subarray(0, 16)
  b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x50, 6)
  b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8)
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const agentSpec: ListSpec = {
  attributes: {
    id: 'string',
    agent_type: 'string',
    binary: 'string',
    host: 'string',
    topic: 'string',
    admin_state_up: 'boolean',
    alive: 'boolean',
    availability_zone: 'string',
  },
  tags: false,
}

/** Whether a host was heard from (registered or renewed) within `agentDownTimeSeconds`. */
export function isAlive(deps: Pick<LocalDeps, 'config' | 'clock'>, host: HostRow): boolean {
  return deps.clock.now() - Date.parse(host.updated_at) <= deps.config.agentDownTimeSeconds * 1000
}

/**
 * The host agents of the region: each registers its VXLAN tunnel address with
 * `PUT /v2.0/os-tricircle/hosts/{host}` (service role; repeating it is the heartbeat), and the
 * region lists them as Neutron agents (`GET /v2.0/agents`, admins), alive while heard from
 * within `agentDownTimeSeconds`. The tunnel address is what the region reports to central when a
 * port is bound to the host.
 */
export function hostRoutes(app: App, deps: LocalDeps, hosts: HostStore): void {
  const { config } = deps

  const hostView = (h: HostRow) => ({
    host: h.host,
    tunnel_ip: h.tunnel_ip,
    created_at: h.created_at,
    updated_at: h.updated_at,
  })

  const agentView = (h: HostRow) => {
    return {
      id: agentId(config.region, h.host),
      agent_type: AGENT_TYPE,
      binary: 'neutron-linuxbridge-agent',
      host: h.host,
      topic: 'N/A',
      admin_state_up: true,
      alive: isAlive(deps, h),
      availability_zone: null,
      description: null,
      configurations: {
        tunneling_ip: h.tunnel_ip,
        l2_population: true,
        tunnel_types: ['vxlan'],
      },
      resources_synced: null,
      created_at: agentTime(h.created_at),
      started_at: agentTime(h.created_at),
      heartbeat_timestamp: agentTime(h.updated_at),
    }
  }

  app.put<{ Params: { host: string }; Body: unknown }>(
    '/v2.0/os-tricircle/hosts/:host',
    async (req) => {
      requireService(caller(req), 'put_host')
      const given = isObject(req.body) ? req.body.host : undefined
      const tunnelIp = isObject(given) ? given.tunnel_ip : undefined
      if (typeof tunnelIp !== 'string' || !isValidIp(tunnelIp)) {
        throw new InvalidInput(`the body must be {"host": {"tunnel_ip": "<an IP address>"}}`)
      }
      return { host: hostView(await hosts.put(req.params.host, tunnelIp)) }
    },
  )

  app.get('/v2.0/os-tricircle/hosts', async (req) => {
    const ctx = caller(req)
    if (!isAdmin(ctx)) requireService(ctx, 'get_hosts')
    return { hosts: (await hosts.list()).map(hostView) }
  })

  app.get<{ Params: { host: string } }>('/v2.0/os-tricircle/hosts/:host', async (req) => {
    const ctx = caller(req)
    if (!isAdmin(ctx)) requireService(ctx, 'get_host')
    const found = await hosts.get(req.params.host)
    if (!found) throw new HostNotFound(req.params.host)
    return { host: hostView(found) }
  })

  app.delete<{ Params: { host: string } }>('/v2.0/os-tricircle/hosts/:host', async (req, reply) => {
    requireService(caller(req), 'delete_host')
    await hosts.delete(req.params.host)
    return reply.code(204).send()
  })

  app.get('/v2.0/agents', async (req) => {
    const ctx = caller(req)
    if (!isAdmin(ctx)) throw new PolicyNotAuthorized('get_agent')
    return listResponse(req, 'agents', agentSpec, async () => (await hosts.list()).map(agentView))
  })

  app.get<{ Params: { id: string } }>('/v2.0/agents/:id', async (req) => {
    const ctx = caller(req)
    if (!isAdmin(ctx)) throw new PolicyNotAuthorized('get_agent')
    const found = (await hosts.list()).find((h) => agentId(config.region, h.host) === req.params.id)
    if (!found) throw new AgentNotFound(req.params.id)
    return { agent: agentView(found) }
  })
}
