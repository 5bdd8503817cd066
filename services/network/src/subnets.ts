import { caller, isAdmin, uuid, type App, type AuthContext } from '@tricircle/core'
import { Type, type Static } from 'typebox'
import { owningProject, requireAdmin, requireWrite } from './access.js'
import { parseJson, standardView, tagsOf, timestamp } from './common.js'
import type { NetworkDatabase, SubnetRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { NetworkNotFound, SubnetInUse, SubnetNotFound } from './errors.js'
import {
  normalizeSubnet,
  normalizeSubnetUpdate,
  type ExistingSubnet,
  type NormalizedSubnet,
  type ResolvedSubnetPool,
} from './ipam/subnet-request.js'
import { listResponse, type ListSpec } from './listing.js'
import { canSeeNetwork } from './networks.js'
import { enqueueForRegions } from './propagation.js'
import { checkQuota } from './quotas.js'
import { getVisibleSubnetPool, poolSpec } from './subnet-pools.js'
import { createRoute, narrow } from './resource-routes.js'
import { deletePortRows } from './port-rows.js'

const Pool = Type.Object(
  { start: Type.String(), end: Type.String() },
  { additionalProperties: false },
)
const Route = Type.Object(
  { destination: Type.String(), nexthop: Type.String() },
  { additionalProperties: false },
)
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()])
const SubnetCreate = Type.Object(
  {
    network_id: Type.String({ minLength: 1 }),
    ip_version: Type.Optional(Type.Union([Type.Literal(4), Type.Literal(6)])),
    cidr: Type.Optional(Nullable(Type.String())),
    prefixlen: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 128 }))),
    subnetpool_id: Type.Optional(Nullable(Type.String())),
    use_default_subnetpool: Type.Optional(Type.Boolean()),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    gateway_ip: Type.Optional(Nullable(Type.String())),
    allocation_pools: Type.Optional(Nullable(Type.Array(Pool))),
    dns_nameservers: Type.Optional(Nullable(Type.Array(Type.String()))),
    host_routes: Type.Optional(Nullable(Type.Array(Route))),
    enable_dhcp: Type.Optional(Type.Boolean()),
    ipv6_ra_mode: Type.Optional(Nullable(Type.String())),
    ipv6_address_mode: Type.Optional(Nullable(Type.String())),
    service_types: Type.Optional(Type.Array(Type.String())),
    segment_id: Type.Optional(Type.Null()),
    project_id: Type.Optional(Type.String({ minLength: 1 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)
type SubnetCreate = Static<typeof SubnetCreate>
const SubnetUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    gateway_ip: Type.Optional(Nullable(Type.String())),
    allocation_pools: Type.Optional(Nullable(Type.Array(Pool))),
    dns_nameservers: Type.Optional(Nullable(Type.Array(Type.String()))),
    host_routes: Type.Optional(Nullable(Type.Array(Route))),
    enable_dhcp: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
)
type SubnetUpdate = Static<typeof SubnetUpdate>

export const subnetListSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    network_id: 'string',
    tenant_id: 'string',
    project_id: 'string',
    ip_version: 'integer',
    cidr: 'string',
    gateway_ip: 'string',
    enable_dhcp: 'boolean',
    subnetpool_id: 'string',
    ipv6_ra_mode: 'string',
    ipv6_address_mode: 'string',
    revision_number: 'integer',
  },
}

/** A subnet is visible with its network: the owner's, a shared or external network's, admins'. */
export async function getVisibleSubnet(db: NetworkDatabase, ctx: AuthContext, id: string) {
  const row = await db
    .selectFrom('subnets')
    .innerJoin('networks', 'networks.id', 'subnets.network_id')
    .selectAll('subnets')
    .select(['networks.shared', 'networks.external', 'networks.project_id as network_project'])
    .where('subnets.id', '=', id)
    .executeTakeFirst()
  if (!row || !(isAdmin(ctx) || row.project_id === ctx.projectId || row.shared || row.external)) {
    throw new SubnetNotFound(id)
  }
  const { shared: _s, external: _e, network_project: _n, ...subnet } = row
  return subnet
}

export async function renderSubnets(db: NetworkDatabase, rows: SubnetRow[]) {
  const tags = await tagsOf(
    db,
    'subnets',
    rows.map((r) => r.id),
  )
  return rows.map((row) => ({
    ...standardView(row),
    network_id: row.network_id,
    ip_version: Number(row.ip_version),
    cidr: row.cidr,
    gateway_ip: row.gateway_ip,
    allocation_pools: parseJson<object[]>(row.allocation_pools),
    dns_nameservers: parseJson<string[]>(row.dns_nameservers),
    host_routes: parseJson<object[]>(row.host_routes),
    enable_dhcp: Boolean(row.enable_dhcp),
    ipv6_ra_mode: row.ipv6_ra_mode,
    ipv6_address_mode: row.ipv6_address_mode,
    subnetpool_id: row.subnetpool_id,
    service_types: parseJson<string[]>(row.service_types),
    segment_id: null,
    dns_publish_fixed_ip: false,
    tags: tags.get(row.id) ?? [],
  }))
}

const toColumns = (s: NormalizedSubnet) => ({
  ip_version: s.ip_version,
  cidr: s.cidr,
  gateway_ip: s.gateway_ip,
  enable_dhcp: s.enable_dhcp,
  ipv6_ra_mode: s.ipv6_ra_mode,
  ipv6_address_mode: s.ipv6_address_mode,
  subnetpool_id: s.subnetpool_id,
  allocation_pools: JSON.stringify(s.allocation_pools),
  dns_nameservers: JSON.stringify(s.dns_nameservers),
  host_routes: JSON.stringify(s.host_routes),
})

const existing = (row: SubnetRow): ExistingSubnet => ({
  id: row.id,
  ip_version: Number(row.ip_version) as 4 | 6,
  cidr: row.cidr,
  gateway_ip: row.gateway_ip,
  allocation_pools: parseJson(row.allocation_pools),
  dns_nameservers: parseJson(row.dns_nameservers),
  host_routes: parseJson(row.host_routes),
  enable_dhcp: Boolean(row.enable_dhcp),
  ipv6_ra_mode: row.ipv6_ra_mode as ExistingSubnet['ipv6_ra_mode'],
  ipv6_address_mode: row.ipv6_address_mode as ExistingSubnet['ipv6_address_mode'],
  subnetpool_id: row.subnetpool_id,
})

/** Ports Tricircle reserves on a subnet (per-region gateways) do not keep it in use. */
const isReservedPort = (p: { device_owner: string; device_id: string }) =>
  p.device_owner === 'network:dhcp' ||
  (p.device_owner === 'network:router_interface' && p.device_id === '')

export function subnetRoutes(app: App, deps: NetworkDeps): void {
  const { db, config } = deps

  async function insertSubnet(trx: NetworkDatabase, ctx: AuthContext, body: SubnetCreate) {
    requireWrite(ctx, 'create_subnet')
    const network = await trx
      .selectFrom('networks')
      .selectAll()
      .where('id', '=', body.network_id)
      .executeTakeFirst()
    if (!network || !canSeeNetwork(ctx, network)) throw new NetworkNotFound(body.network_id)
    const projectId = owningProject(ctx, body, 'create_subnet')
    if (network.project_id !== projectId) requireAdmin(ctx, 'create_subnet:network')
    await checkQuota(trx, config.quota, projectId, 'subnet')
    const siblings = await trx
      .selectFrom('subnets')
      .select(['cidr', 'ip_version', 'subnetpool_id'])
      .where('network_id', '=', network.id)
      .execute()
    let subnetPool: ResolvedSubnetPool | undefined
    if (body.subnetpool_id) {
      const pool = await getVisibleSubnetPool(trx, ctx, body.subnetpool_id)
      const allocated = await trx
        .selectFrom('subnets')
        .select('cidr')
        .where('subnetpool_id', '=', pool.id)
        .execute()
      subnetPool = { id: pool.id, pool: poolSpec(pool), allocated: allocated.map((a) => a.cidr) }
    }
    const ipVersion = body.ip_version ?? (subnetPool ? subnetPool.pool.ip_version : 4)
    const normalized = normalizeSubnet(
      { ...body, ip_version: ipVersion },
      {
        networkId: network.id,
        networkSubnets: siblings.map((s) => ({ ...s, ip_version: Number(s.ip_version) })),
        subnetPool,
      },
    )
    const now = timestamp(deps.clock.now())
    const row: SubnetRow = {
      id: uuid(),
      project_id: projectId,
      name: body.name ?? '',
      description: body.description ?? '',
      revision_number: 1,
      created_at: now,
      updated_at: now,
      network_id: network.id,
      service_types: JSON.stringify(body.service_types ?? []),
      ...toColumns(normalized),
    }
    await trx.insertInto('subnets').values(row).execute()
    return row
  }

  createRoute<SubnetCreate, SubnetRow>(app, db, {
    path: '/v2.0/subnets',
    singular: 'subnet',
    plural: 'subnets',
    item: SubnetCreate,
    action: 'create_subnet',
    insert: insertSubnet,
    render: (d, _ctx, rows) => renderSubnets(d, rows),
  })

  app.get('/v2.0/subnets', async (req) => {
    const ctx = caller(req)
    return listResponse(
      req,
      'subnets',
      subnetListSpec,
      async (pre) => {
        let q = db
          .selectFrom('subnets')
          .innerJoin('networks', 'networks.id', 'subnets.network_id')
          .selectAll('subnets')
        if (!isAdmin(ctx)) {
          q = q.where((eb) =>
            eb.or([
              eb('subnets.project_id', '=', ctx.projectId ?? ''),
              eb('networks.shared', '=', true),
              eb('networks.external', '=', true),
            ]),
          )
        }
        q = narrow(q, pre, ['id', 'network_id'], 'subnets')
        return renderSubnets(db, await q.orderBy('subnets.id').execute())
      },
      ['id', 'network_id'],
    )
  })

  app.get<{ Params: { id: string } }>('/v2.0/subnets/:id', async (req) => {
    const row = await getVisibleSubnet(db, caller(req), req.params.id)
    return { subnet: (await renderSubnets(db, [row]))[0] }
  })

  app.put<{ Params: { id: string }; Body: { subnet: SubnetUpdate } }>(
    '/v2.0/subnets/:id',
    { schema: { body: Type.Object({ subnet: SubnetUpdate }) } },
    async (req) => {
      const ctx = caller(req)
      requireWrite(ctx, 'update_subnet')
      const row = await db.transaction().execute(async (trx) => {
        const current = await getVisibleSubnet(trx, ctx, req.params.id)
        if (current.project_id !== ctx.projectId) requireAdmin(ctx, 'update_subnet')
        const gatewayPort = current.gateway_ip
          ? await trx
              .selectFrom('ip_allocations')
              .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
              .select('ports.id')
              .where('ip_allocations.subnet_id', '=', current.id)
              .where('ip_allocations.ip_address', '=', current.gateway_ip)
              .where('ports.device_owner', 'like', 'network:router%')
              .executeTakeFirst()
          : undefined
        const { subnet, changes } = normalizeSubnetUpdate(existing(current), req.body.subnet, {
          gatewayRouterPortId: gatewayPort?.id ?? null,
        })
        const next: SubnetRow = {
          ...current,
          ...toColumns(subnet),
          name: changes.name ?? current.name,
          description: changes.description ?? current.description,
          revision_number: Number(current.revision_number) + 1,
          updated_at: timestamp(deps.clock.now()),
        }
        await trx.updateTable('subnets').set(next).where('id', '=', current.id).execute()
        await enqueueForRegions(trx, deps.jobs, {
          type: 'subnet_update',
          projectId: current.project_id,
          routingType: 'subnet',
          id: current.id,
          resource: (pod_id) => ({ pod_id, subnet_id: current.id }),
        })
        return next
      })
      return { subnet: (await renderSubnets(db, [row]))[0] }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/subnets/:id', async (req, reply) => {
    const ctx = caller(req)
    requireWrite(ctx, 'delete_subnet')
    await db.transaction().execute(async (trx) => {
      const current = await getVisibleSubnet(trx, ctx, req.params.id)
      if (current.project_id !== ctx.projectId) requireAdmin(ctx, 'delete_subnet')
      const users = await trx
        .selectFrom('ip_allocations')
        .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
        .select(['ports.id', 'ports.device_owner', 'ports.device_id'])
        .where('ip_allocations.subnet_id', '=', current.id)
        .execute()
      if (users.some((p) => !isReservedPort(p))) throw new SubnetInUse(current.id)
      const reserved = users.map((p) => p.id)
      if (reserved.length) await deletePortRows(trx, deps, reserved)
      await trx
        .deleteFrom('tags')
        .where('resource_type', '=', 'subnets')
        .where('resource_id', '=', current.id)
        .execute()
      await trx.deleteFrom('subnets').where('id', '=', current.id).execute()
      await enqueueForRegions(trx, deps.jobs, {
        type: 'subnet_update',
        projectId: current.project_id,
        routingType: 'subnet',
        id: current.id,
        resource: (pod_id) => ({ pod_id, subnet_id: current.id }),
        dropRoutings: true,
      })
    })
    return reply.code(204).send()
  })
}
