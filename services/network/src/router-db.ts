import { isAdmin, type AuthContext } from '@tricircle/core'
import { parseJson, timestamp } from './common.js'
import type { NetworkDatabase, NetworkRow, RouterRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { RouterNotFound } from './errors.js'
import { localRegion, regionPods } from './placement.js'
import { podsHolding } from './propagation.js'

export const ROUTER_INTERFACE = 'network:router_interface'
export const ROUTER_GATEWAY = 'network:router_gateway'
export const FLOATINGIP_OWNER = 'network:floatingip'

/** The router if the caller may see it (its project's, or any for admins); else 404. */
export async function getVisibleRouter(
  db: NetworkDatabase,
  ctx: AuthContext,
  id: string,
): Promise<RouterRow> {
  const row = await db.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId)) throw new RouterNotFound(id)
  return row
}

/**
 * Takes the router's row lock for the rest of the transaction (a no-op update), so concurrent
 * changes to one router's interfaces, gateway and floating IPs run one after the other on
 * PostgreSQL; on SQLite writers are serialised anyway. Read the router after this.
 */
export async function lockRouter(trx: NetworkDatabase, id: string): Promise<void> {
  await trx
    .updateTable('routers')
    .set((eb) => ({ revision_number: eb.ref('revision_number') }))
    .where('id', '=', id)
    .execute()
}

/** The same for a port: one floating IP association per fixed IP, even under concurrency. */
export async function lockPort(trx: NetworkDatabase, id: string): Promise<void> {
  await trx
    .updateTable('ports')
    .set((eb) => ({ revision_number: eb.ref('revision_number') }))
    .where('id', '=', id)
    .execute()
}

/**
 * The context internal ports (interfaces, gateways, floating IP ports) are created with:
 * Neutron's `context.elevated()`. Visibility and ownership are checked by the L3 code before.
 */
export const elevated = (ctx: AuthContext): AuthContext =>
  isAdmin(ctx) ? ctx : { ...ctx, roles: [...ctx.roles, 'admin'] }

export const hintsOf = (row: { availability_zone_hints: string }): string[] =>
  parseJson<string[]>(row.availability_zone_hints)

/** One fixed IP of one of a router's ports, with the subnet it is on. */
export interface RouterAddress {
  port_id: string
  port_type: string
  network_id: string
  subnet_id: string
  ip_address: string
  cidr: string
  ip_version: number
  gateway_ip: string | null
}

/** Every fixed IP of the router's ports (interfaces and gateway), in a stable order. */
export async function routerAddresses(
  db: NetworkDatabase,
  routerId: string,
): Promise<RouterAddress[]> {
  const rows = await db
    .selectFrom('router_ports')
    .innerJoin('ports', 'ports.id', 'router_ports.port_id')
    .innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
    .innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
    .select([
      'router_ports.port_id',
      'router_ports.port_type',
      'ports.network_id',
      'ip_allocations.subnet_id',
      'ip_allocations.ip_address',
      'subnets.cidr',
      'subnets.ip_version',
      'subnets.gateway_ip',
    ])
    .where('router_ports.router_id', '=', routerId)
    .orderBy('ports.created_at')
    .orderBy('router_ports.port_id')
    .orderBy('ip_allocations.subnet_id')
    .execute()
  return rows.map((r) => ({ ...r, ip_version: Number(r.ip_version) }))
}

/** A router row with its revision bumped, written back (interfaces and gateway count as edits). */
export async function touchRouter(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  router: RouterRow,
  changes: Partial<RouterRow> = {},
): Promise<RouterRow> {
  const next: RouterRow = {
    ...router,
    ...changes,
    revision_number: Number(router.revision_number) + 1,
    updated_at: timestamp(deps.clock.now()),
  }
  await trx.updateTable('routers').set(next).where('id', '=', router.id).execute()
  return next
}

/** Whether the router spans regions (Tricircle's non-local router: not exactly one region hint). */
export async function isNonLocalRouter(db: NetworkDatabase, router: RouterRow): Promise<boolean> {
  return localRegion(hintsOf(router), await regionPods(db)) === undefined
}

/**
 * Queues `router_setup(pod, router, network)` for each pod (by default the pods holding the
 * network) and, for a non-local router, one `configure_route(router)` when any was queued
 * (unless `configureRoute` is false: the caller queues it once for several networks).
 * Returns the pods.
 */
export async function queueRouterSetup(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  router: RouterRow,
  networkId: string,
  pods?: readonly string[],
  options: { configureRoute?: boolean } = {},
): Promise<readonly string[]> {
  const targets = pods ?? (await podsHolding(trx, 'network', networkId))
  for (const pod_id of targets) {
    await deps.jobs.enqueue(trx, {
      type: 'router_setup',
      projectId: router.project_id,
      resource: { pod_id, router_id: router.id, network_id: networkId },
    })
  }
  if (options.configureRoute !== false && targets.length && (await isNonLocalRouter(trx, router))) {
    await queueConfigureRoute(trx, deps, router)
  }
  return targets
}

export async function queueConfigureRoute(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  router: RouterRow,
): Promise<void> {
  await deps.jobs.enqueue(trx, {
    type: 'configure_route',
    projectId: router.project_id,
    resource: { router_id: router.id },
  })
}

/**
 * The pods that must converge a router's gateway on an external network: those holding the
 * network, plus the network's own region (an external network lives in exactly one region and
 * has no VM ports, so no binding would ever make a pod hold it).
 */
export async function externalNetworkPods(
  db: NetworkDatabase,
  network: NetworkRow,
): Promise<string[]> {
  const held = await podsHolding(db, 'network', network.id)
  const hints = hintsOf(network)
  const pods = await db
    .selectFrom('pods')
    .select(['pod_id', 'region_name', 'az_name'])
    .where('az_name', '<>', '')
    .orderBy('pod_id')
    .execute()
  const home =
    pods.find((p) => hints.includes(p.region_name)) ?? pods.find((p) => hints.includes(p.az_name))
  return [...new Set([...held, ...(home ? [home.pod_id] : [])])].sort()
}

/**
 * Tricircle defers a router's setup in a region until the region holds one of its networks. Call
 * this when a pod may have started holding `networkId` (the first port bound there): every router
 * attached to the network (interface or gateway) gets `router_setup` for every pod holding the
 * network, and non-local routers a `configure_route`. The jobs are recorded under each router's
 * project; `projectId` is used only for a router without one.
 */
export async function queueRouterSetupForNetwork(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  networkId: string,
  projectId: string,
): Promise<void> {
  const pods = await podsHolding(trx, 'network', networkId)
  if (pods.length === 0) return
  const routers = await trx
    .selectFrom('routers')
    .selectAll('routers')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('router_ports')
        .innerJoin('ports', 'ports.id', 'router_ports.port_id')
        .select('router_ports.router_id')
        .where('ports.network_id', '=', networkId),
    )
    .orderBy('id')
    .execute()
  for (const router of routers) {
    const owned = router.project_id ? router : { ...router, project_id: projectId }
    await queueRouterSetup(trx, deps, owned, networkId, pods)
  }
}
