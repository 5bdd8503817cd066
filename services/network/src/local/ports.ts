import { COPIES_ONLY_HEADER } from '@tricircle/client'
import { caller, isAdmin, isService, type App, type AuthContext } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import { InvalidInput, PolicyNotAuthorized, PortNotFound } from '../errors.js'
import { ok } from './central.js'
import type { HostStore, Resource } from './db.js'
import { passThrough, pathWithQuery, project, queryOf, requestedFields } from './http.js'
import { Down, listFromCopies, readCentral } from './reads.js'
import { seesEverything, type Caller, type RegionCopies } from './region.js'
import { canSee, forCaller } from './views.js'

/** The device owner of the copies central makes of ports bound in other regions. */
export const SHADOW_OWNER = 'compute:shadow'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Ports are the region's own: the list is the region's copies (its ports and the shadow copies
 * central pushes of ports bound elsewhere on its networks). A create goes to central, which
 * allocates the address and MAC, and is copied here under the same id; binding a port to a host
 * of this region is reported to central in `binding:profile` (region, host, the host's tunnel
 * address, device owner), which is what makes central set up the region's routing and shadow
 * ports.
 */
export function portRoutes(app: App, copies: RegionCopies, hosts: HostStore): void {
  const { central, store, log } = copies
  const region = copies.region

  /** What the region reports when a port is bound to `host` here (or unbound, host ''). */
  async function regionProfile(host: string, device: string, given: unknown) {
    const base = isObject(given) ? given : {}
    if (!host) return { ...base, region, host: '', device }
    const known = await hosts.get(host)
    if (!known) log.warn({ host }, 'binding a port to a host that has not registered a tunnel IP')
    return { ...base, region, host, device, ...(known ? { tunnel_ip: known.tunnel_ip } : {}) }
  }

  /** Unbound, or bound to a host of this region: the region may hold the port. */
  function belongsHere(port: Resource): boolean {
    const host = typeof port['binding:host_id'] === 'string' ? port['binding:host_id'] : ''
    const profile = isObject(port['binding:profile']) ? port['binding:profile'] : {}
    return host === '' || profile.region === region
  }

  /**
   * Keeps central's ports (as central just showed them to the caller) as the region's copies,
   * in the full view, and copies their subnets and security groups. Central has already done
   * the change, so a failure to read the full view is logged and the caller's view kept (the
   * next update or central's push completes it) rather than failing a request that succeeded.
   */
  async function keepPorts(ctx: AuthContext, seen: Resource[]): Promise<void> {
    for (const port of seen) {
      let full = port
      if (!seesEverything('port', ctx)) {
        try {
          full = await copies.fullView('port', port.id)
        } catch (error) {
          log.warn({ err: error, port: port.id }, 'kept the caller view of a port')
        }
      }
      if (!belongsHere(full)) {
        await store.delete('port', full.id)
        continue
      }
      await store.put('port', full)
      await copies.ensurePortContext(full)
    }
  }

  /**
   * A port central has and the region has no copy of yet, copied (lazily) if it may be here:
   * unbound or bound in this region, on a network placed here. Undefined if not.
   */
  async function copyCentralPort(who: Caller, seen: Resource): Promise<Resource | undefined> {
    const full = await copies.fullViewOf('port', seen, who.ctx)
    if (!belongsHere(full)) return undefined
    try {
      await copies.networkForUse(who, String(full.network_id))
    } catch (error) {
      if (error instanceof InvalidInput) return undefined // its network is not placed here
      throw error
    }
    await store.put('port', full)
    await copies.ensurePortContext(full)
    return full
  }

  /**
   * A device's ports are looked up centrally too before the copies answer. A create whose answer
   * was lost (central killed after it committed) left a port here without a copy, and the
   * device's owner, the compute agent cleaning up after a container, must still find it. Ports
   * bound elsewhere are left to their shadows. False when central did not answer: the copies
   * answer alone then, and the route says so (`COPIES_ONLY_HEADER`).
   */
  async function copyDevicePorts(req: FastifyRequest, deviceIds: readonly string[]) {
    const query = new URLSearchParams(deviceIds.map((d): [string, string] => ['device_id', d]))
    const answer = await readCentral(central, req, pathWithQuery('/v2.0/ports', query))
    if (answer instanceof Down) return false
    const seen = (ok(answer).ports as Resource[] | undefined) ?? []
    const held = new Set(
      (await store.list('port', { ids: seen.map((p) => p.id) })).map((c) => c.id),
    )
    const who = { ctx: caller(req), req }
    for (const port of seen) if (!held.has(port.id)) await copyCentralPort(who, port)
    return true
  }

  app.get('/v2.0/ports', async (req, reply) => {
    const query = queryOf(req)
    const networkIds = query.getAll('network_id').filter((v) => v !== '')
    const deviceIds = query.getAll('device_id').filter((v) => v !== '')
    if (deviceIds.length && !(await copyDevicePorts(req, deviceIds))) {
      reply.header(COPIES_ONLY_HEADER, 'central unreachable')
    }
    return listFromCopies(req, copies, 'port', networkIds.length ? networkIds : undefined)
  })

  app.get<{ Params: { id: string } }>('/v2.0/ports/:id', async (req) => {
    const ctx = caller(req)
    const fields = requestedFields(queryOf(req))
    const { id } = req.params
    const copy = await store.get('port', id)
    if (copy) {
      const network = copy.networkId
        ? (await store.get('network', copy.networkId))?.body
        : undefined
      if (canSee(ctx, 'port', copy.body, network)) {
        return { port: project(forCaller(ctx, 'port', copy.body), fields) }
      }
      // A copy the caller may not see is treated as no copy: central answers as for an id
      // that does not exist (404, or 503 while it is down), so the copy's existence stays hidden.
    }
    // Not here yet: central's, if central says it is bound here or nowhere (lazy copy).
    const seen = ok(
      await central.forCaller<{ port: Resource }>(
        req,
        'GET',
        `/v2.0/ports/${encodeURIComponent(id)}`,
      ),
    ).port
    const full = await copyCentralPort({ ctx, req }, seen)
    if (!full) throw new PortNotFound(id)
    return { port: project(forCaller(ctx, 'port', full), fields) }
  })

  app.post<{ Body: Record<string, unknown> | undefined }>('/v2.0/ports', async (req, reply) => {
    const ctx = caller(req)
    const who: Caller = { ctx, req }
    const body = req.body
    const many = Array.isArray(body?.ports)
    const items = (many ? (body?.ports as unknown[]) : [body?.port]).filter(isObject)
    // Placement first: a network not placed here gets no port here (and nothing centrally).
    // Its copy is kept only once central has made the port: a refused create stores nothing.
    const networkIds = [...new Set(items.map((i) => i.network_id))].filter(
      (n): n is string => typeof n === 'string',
    )
    for (const networkId of networkIds) await copies.networkForUse(who, networkId, { keep: false })
    for (const item of items) {
      const host = item['binding:host_id']
      if (typeof host === 'string' && host !== '') {
        item['binding:profile'] = await regionProfile(
          host,
          typeof item.device_owner === 'string' ? item.device_owner : '',
          item['binding:profile'],
        )
      }
    }
    const answer = await central.forCaller<Record<string, unknown>>(
      req,
      'POST',
      '/v2.0/ports',
      body,
    )
    if (answer.status !== 201) return passThrough(reply, answer)
    for (const networkId of networkIds) await copies.networkForUse(who, networkId)
    const created = many ? (answer.body.ports as Resource[]) : [answer.body.port as Resource]
    await keepPorts(ctx, created)
    return passThrough(reply, answer)
  })

  app.put<{ Params: { id: string }; Body: Record<string, unknown> | undefined }>(
    '/v2.0/ports/:id',
    async (req, reply) => {
      const ctx = caller(req)
      const { id } = req.params
      const copy = await store.get('port', id)
      if (copy?.body.device_owner === SHADOW_OWNER) {
        throw new InvalidInput(
          `port ${id} here is a shadow of a port bound in another region; change it there`,
        )
      }
      const changes = req.body?.port
      if (isObject(changes) && typeof changes['binding:host_id'] === 'string') {
        const host = changes['binding:host_id']
        const current = copy?.body ?? (await copies.readAsCaller({ ctx, req }, 'port', id))
        if (host !== '') await copies.networkForUse({ ctx, req }, String(current.network_id))
        const device =
          typeof changes.device_owner === 'string'
            ? changes.device_owner
            : typeof current.device_owner === 'string'
              ? current.device_owner
              : ''
        changes['binding:profile'] = await regionProfile(host, device, changes['binding:profile'])
      }
      const path = `/v2.0/ports/${encodeURIComponent(id)}`
      const answer = await central.forCaller<{ port: Resource }>(req, 'PUT', path, req.body)
      if (answer.status !== 200) return passThrough(reply, answer)
      await keepPorts(ctx, [answer.body.port])
      return passThrough(reply, answer)
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/ports/:id', async (req, reply) => {
    const ctx = caller(req)
    const { id } = req.params
    const copy = await store.get('port', id)
    if (copy?.body.device_owner === SHADOW_OWNER) {
      // The real port lives in another region; only the copy here goes (central's business).
      if (!isAdmin(ctx) && !isService(ctx)) throw new PolicyNotAuthorized('delete_port:shadow')
      await store.delete('port', id)
      return reply.code(204).send()
    }
    const answer = await central.forCaller(req, 'DELETE', `/v2.0/ports/${encodeURIComponent(id)}`)
    if (answer.status === 204) {
      await store.delete('port', id)
      return reply.code(204).send()
    }
    if (answer.status === 404 && copy) {
      // Gone centrally but still here (a missed port_delete): the copy goes too, if the caller
      // may see it.
      const network = copy.networkId
        ? (await store.get('network', copy.networkId))?.body
        : undefined
      if (canSee(ctx, 'port', copy.body, network)) {
        await store.delete('port', id)
        return reply.code(204).send()
      }
    }
    return passThrough(reply, answer)
  })
}
