import { caller, isAdmin, uuid, type App, type AuthContext } from '@tricircle/core'
import { Type, type Static } from 'typebox'
import { owningProject, requireAdmin, requireWrite } from './access.js'
import { timestamp } from './common.js'
import type { NetworkDatabase, RouterRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { HTTPBadRequest } from './ipam/errors.js'
import { listResponse } from './listing.js'
import { regionPods, validateHints } from './placement.js'
import { podsHolding } from './propagation.js'
import { checkQuota } from './quotas.js'
import {
  ROUTER_INTERFACE,
  externalNetworkPods,
  getVisibleRouter,
  lockRouter,
  queueConfigureRoute,
  queueRouterSetup,
  routerAddresses,
} from './router-db.js'
import { RouterInUse } from './router-errors.js'
import { parseRoutes, validateRoutes } from './router-extra-routes.js'
import { applyGateway, detachGateway } from './router-gateway.js'
import { routerInterfaceRoutes } from './router-interfaces.js'
import { renderRouters, routerListSpec } from './router-view.js'
import { retryOnConflict } from './segments.js'
import { createRoute, narrow } from './resource-routes.js'

export { queueRouterSetupForNetwork } from './router-db.js'
export { addRouterInterface, removeRouterInterface } from './router-interfaces.js'
export { renderRouters } from './router-view.js'

const FixedIp = Type.Object(
  { subnet_id: Type.Optional(Type.String()), ip_address: Type.Optional(Type.String()) },
  { additionalProperties: false },
)
const GatewayInfo = Type.Union([
  Type.Null(),
  Type.Object(
    {
      network_id: Type.Optional(Type.String({ minLength: 1 })),
      enable_snat: Type.Optional(Type.Boolean()),
      external_fixed_ips: Type.Optional(Type.Array(FixedIp)),
    },
    { additionalProperties: false },
  ),
])
const Route = Type.Object(
  { destination: Type.String(), nexthop: Type.String() },
  { additionalProperties: false },
)
const Mutable = {
  name: Type.String({ maxLength: 255 }),
  description: Type.String({ maxLength: 255 }),
  admin_state_up: Type.Boolean(),
  external_gateway_info: GatewayInfo,
  distributed: Type.Boolean(),
  ha: Type.Boolean(),
}
const RouterCreate = Type.Object(
  {
    ...Type.Partial(Type.Object(Mutable)).properties,
    availability_zone_hints: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    flavor_id: Type.Optional(Type.Null()),
    project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
)
type RouterCreate = Static<typeof RouterCreate>
const RouterUpdate = Type.Object(
  {
    ...Type.Partial(Type.Object(Mutable)).properties,
    routes: Type.Optional(Type.Union([Type.Array(Route), Type.Null()])),
    availability_zone_hints: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
)
type RouterUpdate = Static<typeof RouterUpdate>

/**
 * `/v2.0/routers`: Neutron's routers with Tricircle's placement (`availability_zone_hints` fixed
 * at create, validated against the registered regions) and jobs. Interfaces are in
 * `router-interfaces.ts`, the gateway in `router-gateway.ts`, extra routes in
 * `router-extra-routes.ts`.
 */
export function routerRoutes(app: App, deps: NetworkDeps): void {
  const { db, config } = deps

  async function insertRouter(trx: NetworkDatabase, ctx: AuthContext, body: RouterCreate) {
    const projectId = owningProject(ctx, body, 'create_router')
    if (body.distributed !== undefined) requireAdmin(ctx, 'create_router:distributed')
    if (body.ha !== undefined) requireAdmin(ctx, 'create_router:ha')
    const hints = body.availability_zone_hints ?? []
    validateHints(hints, await regionPods(trx))
    await checkQuota(trx, config.quota, projectId, 'router')
    const now = timestamp(deps.clock.now())
    let row: RouterRow = {
      id: uuid(),
      project_id: projectId,
      name: body.name ?? '',
      description: body.description ?? '',
      revision_number: 1,
      created_at: now,
      updated_at: now,
      admin_state_up: body.admin_state_up ?? true,
      status: 'ACTIVE',
      gw_network_id: null,
      gw_port_id: null,
      enable_snat: false,
      routes: '[]',
      availability_zone_hints: JSON.stringify(hints),
      distributed: body.distributed ?? false,
      ha: body.ha ?? false,
    }
    await trx.insertInto('routers').values(row).execute()
    if (body.external_gateway_info) {
      row = await applyGateway(trx, deps, ctx, row, body.external_gateway_info, 'create_router')
      await trx.updateTable('routers').set(row).where('id', '=', row.id).execute()
    }
    return row
  }

  createRoute<RouterCreate, RouterRow>(app, db, {
    path: '/v2.0/routers',
    singular: 'router',
    plural: 'routers',
    item: RouterCreate,
    action: 'create_router',
    insert: insertRouter,
    render: (d, _ctx, rows) => renderRouters(d, rows),
  })

  app.get('/v2.0/routers', async (req) => {
    const ctx = caller(req)
    return listResponse(req, 'routers', routerListSpec, async (pre) => {
      let q = db.selectFrom('routers').selectAll()
      if (!isAdmin(ctx)) q = q.where('project_id', '=', ctx.projectId ?? '')
      q = narrow(q, pre, ['id', 'name'])
      return renderRouters(db, await q.orderBy('id').execute())
    })
  })

  app.get<{ Params: { id: string } }>('/v2.0/routers/:id', async (req) => {
    const row = await getVisibleRouter(db, caller(req), req.params.id)
    return { router: (await renderRouters(db, [row]))[0] }
  })

  app.put<{ Params: { id: string }; Body: { router: RouterUpdate } }>(
    '/v2.0/routers/:id',
    { schema: { body: Type.Object({ router: RouterUpdate }) } },
    async (req) => {
      const ctx = caller(req)
      const row = await retryOnConflict(() =>
        db.transaction().execute(async (trx) => {
          await lockRouter(trx, req.params.id)
          const current = await getVisibleRouter(trx, ctx, req.params.id)
          requireWrite(ctx, 'update_router')
          return updateRouter(trx, deps, ctx, current, req.body.router)
        }),
      )
      return { router: (await renderRouters(db, [row]))[0] }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/routers/:id', async (req, reply) => {
    const ctx = caller(req)
    await db.transaction().execute(async (trx) => {
      await lockRouter(trx, req.params.id)
      const current = await getVisibleRouter(trx, ctx, req.params.id)
      requireWrite(ctx, 'delete_router')
      await deleteRouter(trx, deps, current)
    })
    return reply.code(204).send()
  })

  routerInterfaceRoutes(app, deps)
}

async function updateRouter(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  current: RouterRow,
  changes: RouterUpdate,
): Promise<RouterRow> {
  if (changes.availability_zone_hints !== undefined) {
    throw new HTTPBadRequest('Cannot update read-only attribute availability_zone_hints')
  }
  if (changes.distributed !== undefined) requireAdmin(ctx, 'update_router:distributed')
  if (changes.ha !== undefined) requireAdmin(ctx, 'update_router:ha')
  let next = current
  if (changes.routes !== undefined) {
    const requested = changes.routes ?? []
    const routes = parseRoutes(requested)
    validateRoutes(current.id, routes, await routerAddresses(trx, current.id), requested)
    next = { ...next, routes: JSON.stringify(routes) }
  }
  if (changes.external_gateway_info !== undefined) {
    next = await applyGateway(trx, deps, ctx, next, changes.external_gateway_info, 'update_router')
  }
  next = {
    ...next,
    name: changes.name ?? next.name,
    description: changes.description ?? next.description,
    admin_state_up: changes.admin_state_up ?? Boolean(next.admin_state_up),
    distributed: changes.distributed ?? Boolean(next.distributed),
    ha: changes.ha ?? Boolean(next.ha),
    revision_number: Number(current.revision_number) + 1,
    updated_at: timestamp(deps.clock.now()),
  }
  await trx.updateTable('routers').set(next).where('id', '=', current.id).execute()
  return next
}

/**
 * Neutron's `delete_router`: refused (409 `RouterInUse`) while interfaces remain; the gateway
 * port goes with the router. The regions that set the router up converge through
 * `router_setup(pod, router, external network)` for the gateway's pods and the pods holding the
 * router; a router that never had a gateway queues nothing (see the report on a
 * `router_delete` job).
 */
export async function deleteRouter(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  router: RouterRow,
): Promise<void> {
  const inUse = await trx
    .selectFrom('router_ports')
    .select('port_id')
    .where('router_id', '=', router.id)
    .where('port_type', '=', ROUTER_INTERFACE)
    .executeTakeFirst()
  if (inUse) throw new RouterInUse(router.id)
  const gateway = await detachGateway(trx, deps, router)
  await trx.deleteFrom('router_ports').where('router_id', '=', router.id).execute()
  await trx
    .deleteFrom('tags')
    .where('resource_type', '=', 'routers')
    .where('resource_id', '=', router.id)
    .execute()
  await trx.deleteFrom('routers').where('id', '=', router.id).execute()
  // Every region holding it drops its copy and its routing (configure_route, finding no router).
  if ((await podsHolding(trx, 'router', router.id)).length > 0) {
    await queueConfigureRoute(trx, deps, router)
  }
  if (gateway) {
    const pods = new Set([
      ...(await externalNetworkPods(trx, gateway)),
      ...(await podsHolding(trx, 'router', router.id)),
    ])
    await queueRouterSetup(trx, deps, router, gateway.id, [...pods].sort(), {
      configureRoute: false,
    })
  }
}
