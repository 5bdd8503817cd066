import { caller, type App, type AuthContext } from '@tricircle/core'
import type { FastifyRequest } from 'fastify'
import { CentralUnavailable } from '../errors.js'
import { listResponse } from '../listing.js'
import { CentralFault, ok, type CentralAnswer, type CentralClient } from './central.js'
import type { CopyType, Resource } from './db.js'
import {
  pathWithQuery,
  project,
  queryOf,
  requestedFields,
  rewriteLinks,
  withFields,
  withoutKeys,
} from './http.js'
import { COLLECTION, type RegionCopies } from './region.js'
import {
  canSee,
  forCaller,
  LIST_SPECS,
  mergedView,
  withRegionGateway,
  type SubnetOverrides,
} from './views.js'

/** A read central could not answer: it is down (or a gateway in front of it says so). */
export class Down {
  constructor(readonly error: Error) {}
}

/** A GET to central as the caller; `Down` when central is not answering. */
export async function readCentral(
  central: CentralClient,
  req: FastifyRequest,
  path: string,
): Promise<CentralAnswer<Record<string, unknown>> | Down> {
  try {
    const answer = await central.forCaller<Record<string, unknown>>(req, 'GET', path)
    if ([502, 503, 504].includes(answer.status)) {
      return new Down(new CentralFault(answer.status, answer.body))
    }
    return answer
  } catch (error) {
    if (error instanceof CentralUnavailable) return new Down(error)
    throw error
  }
}

/**
 * A list served from the region's copies while central is unreachable, with Neutron's list
 * semantics and the caller's visibility (its project's, shared and external networks and what
 * is on them, everything for admins).
 */
export async function listFromCopies(
  req: FastifyRequest,
  copies: RegionCopies,
  type: 'network' | 'subnet' | 'security_group' | 'port',
  networkIds?: readonly string[],
) {
  const ctx = caller(req)
  const networks = new Map((await copies.store.list('network')).map((c) => [c.id, c.body]))
  const plural = type === 'security_group' ? 'security_groups' : COLLECTION[type]
  return listResponse(req, plural, LIST_SPECS[type], async (pre) => {
    const ids = pre.id as string[] | undefined
    const stored = await copies.store.list(type, {
      ...(ids ? { ids } : {}),
      ...(networkIds ? { networkIds } : {}),
    })
    return stored
      .filter((c) => type !== 'network' || copies.covers(c.body))
      .map((c) => ({ c, view: mergedView(c) }))
      .filter(({ c, view }) => canSee(ctx, type, view, networks.get(c.networkId ?? '')))
      .map(({ view }) => forCaller(ctx, type, view))
  })
}

/** A single copy for the caller while central is unreachable, else central's failure. */
async function singleFromCopy(
  ctx: AuthContext,
  copies: RegionCopies,
  type: CopyType,
  id: string,
  down: Down,
): Promise<Resource> {
  const copy = await copies.store.get(type, id)
  if (copy) {
    const view = mergedView(copy)
    const network = copy.networkId
      ? (await copies.store.get('network', copy.networkId))?.body
      : undefined
    if (canSee(ctx, type, view, network) && (type !== 'network' || copies.covers(view))) {
      return forCaller(ctx, type, view)
    }
  }
  throw down.error
}

/**
 * Reads of the resources central owns and the region copies: central answers (with the
 * caller's token, so its visibility applies), the region narrows networks to those placed here,
 * shows its own gateway on subnets, and keeps a copy of what was read by id. When central is
 * unreachable the copies answer.
 */
export function readRoutes(app: App, copies: RegionCopies): void {
  const { central } = copies

  app.get('/v2.0/networks', async (req) => {
    const { query, added } = withFields(queryOf(req), ['availability_zone_hints'])
    const answer = await readCentral(central, req, pathWithQuery('/v2.0/networks', query))
    if (answer instanceof Down) return listFromCopies(req, copies, 'network')
    const body = ok(answer)
    const networks = (body.networks as Resource[]) ?? []
    body.networks = networks.filter((n) => copies.covers(n)).map((n) => withoutKeys(n, added))
    rewriteLinks(body, req)
    return body
  })

  app.get<{ Params: { id: string } }>('/v2.0/networks/:id', async (req) => {
    const ctx = caller(req)
    const fields = requestedFields(queryOf(req))
    const path = `/v2.0/networks/${encodeURIComponent(req.params.id)}`
    const answer = await readCentral(central, req, path)
    if (answer instanceof Down) {
      return {
        network: project(
          await singleFromCopy(ctx, copies, 'network', req.params.id, answer),
          fields,
        ),
      }
    }
    const seen = ok(answer).network as Resource
    await copies.keepNetwork({ ctx, req }, seen)
    return { network: project(seen, fields) }
  })

  app.get('/v2.0/subnets', async (req) => {
    const ctx = caller(req)
    const { query, added } = withFields(queryOf(req), ['id', 'network_id', 'gateway_ip'])
    const answer = await readCentral(central, req, pathWithQuery('/v2.0/subnets', query))
    if (answer instanceof Down) return listFromCopies(req, copies, 'subnet')
    const body = ok(answer)
    const subnets = (body.subnets as Resource[]) ?? []
    const placed = await placementOf(
      { ctx, req },
      copies,
      subnets.map((s) => String(s.network_id)),
    )
    const overrides = new Map(
      (await copies.store.list('subnet', { ids: subnets.map((s) => s.id) })).map((c) => [
        c.id,
        c.overrides as SubnetOverrides,
      ]),
    )
    body.subnets = subnets
      .filter((s) => placed.get(String(s.network_id)) !== false)
      .map((s) => withoutKeys(regionGatewayOf(s, overrides.get(s.id)), added))
    rewriteLinks(body, req)
    return body
  })

  app.get<{ Params: { id: string } }>('/v2.0/subnets/:id', async (req) => {
    const ctx = caller(req)
    const fields = requestedFields(queryOf(req))
    const path = `/v2.0/subnets/${encodeURIComponent(req.params.id)}`
    const answer = await readCentral(central, req, path)
    if (answer instanceof Down) {
      return {
        subnet: project(await singleFromCopy(ctx, copies, 'subnet', req.params.id, answer), fields),
      }
    }
    const seen = ok(answer).subnet as Resource
    return { subnet: project(await copies.ensureSubnet(seen.id, undefined, seen), fields) }
  })

  app.get('/v2.0/security-groups', async (req) => {
    const answer = await readCentral(central, req, req.url)
    if (answer instanceof Down) return listFromCopies(req, copies, 'security_group')
    const body = ok(answer)
    rewriteLinks(body, req)
    return body
  })

  app.get<{ Params: { id: string } }>('/v2.0/security-groups/:id', async (req) => {
    const ctx = caller(req)
    const fields = requestedFields(queryOf(req))
    const path = `/v2.0/security-groups/${encodeURIComponent(req.params.id)}`
    const answer = await readCentral(central, req, path)
    if (answer instanceof Down) {
      return {
        security_group: project(
          await singleFromCopy(ctx, copies, 'security_group', req.params.id, answer),
          fields,
        ),
      }
    }
    const seen = ok(answer).security_group as Resource
    await copies.store.put('security_group', seen)
    return { security_group: project(seen, fields) }
  })
}

/**
 * A subnet of a central list with this region's gateway, when the region has one for it. Only
 * the attributes present (the caller may have narrowed `fields`) are replaced.
 */
function regionGatewayOf(subnet: Resource, overrides: SubnetOverrides | undefined): Resource {
  if (!overrides?.gateway_ip || typeof subnet.gateway_ip !== 'string') return subnet
  const merged = withRegionGateway(subnet, overrides)
  return Array.isArray(subnet.allocation_pools)
    ? merged
    : { ...subnet, gateway_ip: overrides.gateway_ip }
}

/**
 * Whether each network may be used in this region: from the copies, else asked of central as
 * the caller (a network it cannot see is left undecided, and its subnets are kept).
 */
async function placementOf(
  caller: { ctx: AuthContext; req: FastifyRequest },
  copies: RegionCopies,
  networkIds: readonly string[],
): Promise<Map<string, boolean>> {
  const ids = [...new Set(networkIds)]
  const out = new Map<string, boolean>()
  for (const c of await copies.store.list('network', { ids })) out.set(c.id, copies.covers(c.body))
  const unknown = ids.filter((id) => !out.has(id))
  for (let i = 0; i < unknown.length; i += 100) {
    const query = new URLSearchParams([
      ['fields', 'id'],
      ['fields', 'availability_zone_hints'],
      ...unknown.slice(i, i + 100).map((id): [string, string] => ['id', id]),
    ])
    const body = ok(
      await copies.central.forCaller<{ networks: Resource[] }>(
        caller.req,
        'GET',
        `/v2.0/networks?${query.toString()}`,
      ),
    )
    for (const n of body.networks) out.set(n.id, copies.covers(n))
  }
  return out
}
