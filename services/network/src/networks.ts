import { caller, isAdmin, uuid, type App, type AuthContext } from '@tricircle/core'
import { onUniqueViolation } from '@tricircle/store'
import { Type, type Static } from 'typebox'
import { owningProject, requireAdmin, requireWrite } from './access.js'
import { parseJson, standardView, tagsOf, timestamp } from './common.js'
import type { NetworkDatabase, NetworkRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import {
  InvalidInput,
  NetworkInUse,
  NetworkNotFound,
  NoNetworkAvailable,
  TunnelIdInUse,
} from './errors.js'
import { listResponse, type ListSpec } from './listing.js'
import { regionPods, validateHints } from './placement.js'
import { checkQuota } from './quotas.js'
import { enqueueForRegions, regionsHolding } from './propagation.js'
import { lowestFreeVni } from './segments.js'
import { createRoute, narrow } from './resource-routes.js'
import { deletePortRows } from './port-rows.js'

const NetworkFields = {
  name: Type.String({ maxLength: 255 }),
  description: Type.String({ maxLength: 1024 }),
  admin_state_up: Type.Boolean(),
  shared: Type.Boolean(),
  'router:external': Type.Boolean(),
  mtu: Type.Integer({ minimum: 68 }),
  port_security_enabled: Type.Boolean(),
}
const NetworkCreate = Type.Object(
  {
    ...Type.Partial(Type.Object(NetworkFields)).properties,
    project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    availability_zone_hints: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    'provider:network_type': Type.Optional(Type.String()),
    'provider:physical_network': Type.Optional(Type.Union([Type.String(), Type.Null()])),
    'provider:segmentation_id': Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  },
  { additionalProperties: false },
)
type NetworkCreate = Static<typeof NetworkCreate>
const UpdateBody = Type.Object({
  network: Type.Object(
    {
      ...Type.Partial(Type.Object(NetworkFields)).properties,
      availability_zone_hints: Type.Optional(Type.Array(Type.String())),
      'provider:network_type': Type.Optional(Type.Unknown()),
      'provider:physical_network': Type.Optional(Type.Unknown()),
      'provider:segmentation_id': Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
})

export const networkListSpec: ListSpec = {
  attributes: {
    id: 'string',
    name: 'string',
    description: 'string',
    tenant_id: 'string',
    project_id: 'string',
    status: 'string',
    admin_state_up: 'boolean',
    shared: 'boolean',
    'router:external': 'boolean',
    mtu: 'integer',
    port_security_enabled: 'boolean',
    'provider:network_type': 'string',
    'provider:physical_network': 'string',
    'provider:segmentation_id': 'integer',
    availability_zone_hints: 'list',
    revision_number: 'integer',
  },
}

/** The network if the caller may see it: its project's, shared, external, or any for admins. */
export async function getVisibleNetwork(
  db: NetworkDatabase,
  ctx: AuthContext,
  id: string,
): Promise<NetworkRow> {
  const row = await db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || !canSeeNetwork(ctx, row)) throw new NetworkNotFound(id)
  return row
}

export const canSeeNetwork = (ctx: AuthContext, row: NetworkRow): boolean =>
  isAdmin(ctx) || row.project_id === ctx.projectId || Boolean(row.shared) || Boolean(row.external)

/** Networks as Neutron shows them; provider attributes are for admins only. */
export async function renderNetworks(db: NetworkDatabase, ctx: AuthContext, rows: NetworkRow[]) {
  const ids = rows.map((r) => r.id)
  const tags = await tagsOf(db, 'networks', ids)
  const subnets = new Map<string, string[]>()
  const regions = await regionsHolding(db, 'network', ids)
  if (ids.length) {
    const subnetRows = await db
      .selectFrom('subnets')
      .select(['id', 'network_id'])
      .where('network_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    for (const s of subnetRows)
      subnets.set(s.network_id, [...(subnets.get(s.network_id) ?? []), s.id])
  }
  const admin = isAdmin(ctx)
  return rows.map((row) => ({
    ...standardView(row),
    admin_state_up: Boolean(row.admin_state_up),
    status: row.status,
    subnets: subnets.get(row.id) ?? [],
    shared: Boolean(row.shared),
    'router:external': Boolean(row.external),
    mtu: Number(row.mtu),
    port_security_enabled: Boolean(row.port_security_enabled),
    availability_zone_hints: parseJson<string[]>(row.availability_zone_hints),
    availability_zones: regions.get(row.id) ?? [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    is_default: false,
    l2_adjacency: true,
    qos_policy_id: null,
    dns_domain: '',
    tags: tags.get(row.id) ?? [],
    ...(admin
      ? {
          'provider:network_type': row.network_type,
          'provider:physical_network': row.physical_network,
          'provider:segmentation_id':
            row.segmentation_id === null ? null : Number(row.segmentation_id),
        }
      : {}),
  }))
}

export function networkRoutes(app: App, deps: NetworkDeps): void {
  const { db, config } = deps

  async function insertNetwork(trx: NetworkDatabase, ctx: AuthContext, body: NetworkCreate) {
    requireWrite(ctx, 'create_network')
    const projectId = owningProject(ctx, body, 'create_network')
    const external = body['router:external'] ?? false
    const providerGiven =
      body['provider:network_type'] !== undefined ||
      body['provider:physical_network'] !== undefined ||
      body['provider:segmentation_id'] !== undefined
    if (external) requireAdmin(ctx, 'create_network:router:external')
    if (body.shared) requireAdmin(ctx, 'create_network:shared')
    if (providerGiven) requireAdmin(ctx, 'create_network:provider:network_type')

    let hints = body.availability_zone_hints ?? []
    validateHints(hints, await regionPods(trx))
    if (external && hints.length > 1) {
      throw new InvalidInput('an external network lives in exactly one region')
    }
    if (external && hints.length === 0) hints = [config.defaultExternalRegion]
    await checkQuota(trx, config.quota, projectId, 'network')

    const type = body['provider:network_type'] ?? (external ? 'flat' : 'vxlan')
    let physnet: string | null = null
    let segment: number | null = null
    if (type === 'vxlan') {
      if (body['provider:physical_network']) {
        throw new InvalidInput('provider:physical_network specified for VXLAN network')
      }
      segment = body['provider:segmentation_id'] ?? (await lowestFreeVni(trx, config.vni)) ?? null
      if (segment === null) throw new NoNetworkAvailable()
      if (segment < 1 || segment > 16777215) {
        throw new InvalidInput(`VXLAN segmentation_id ${segment} out of range 1-16777215`)
      }
    } else if (type === 'flat') {
      physnet = body['provider:physical_network'] ?? config.flatNetworks[0] ?? null
      if (!physnet || !config.flatNetworks.includes(physnet)) {
        throw new InvalidInput(`physical_network '${physnet}' unknown for flat provider network`)
      }
      if (body['provider:segmentation_id'] != null) {
        throw new InvalidInput('segmentation_id specified for flat provider network')
      }
    } else {
      throw new InvalidInput(`network_type value '${type}' not supported`)
    }
    const maxMtu = type === 'vxlan' ? 1450 : 1500
    const mtu = body.mtu ?? maxMtu
    if (mtu > maxMtu) {
      throw new InvalidInput(`Requested MTU is too big, maximum is ${maxMtu}`)
    }
    const now = timestamp(deps.clock.now())
    const row: NetworkRow = {
      id: uuid(),
      project_id: projectId,
      name: body.name ?? '',
      description: body.description ?? '',
      revision_number: 1,
      created_at: now,
      updated_at: now,
      admin_state_up: body.admin_state_up ?? true,
      status: 'ACTIVE',
      shared: body.shared ?? false,
      external,
      mtu,
      port_security_enabled: body.port_security_enabled ?? true,
      availability_zone_hints: JSON.stringify(hints),
      network_type: type,
      physical_network: physnet,
      segmentation_id: segment,
    }
    const insert = trx.insertInto('networks').values(row).execute()
    // A VNI the caller named is theirs to fix; one we chose is retried by retryOnConflict.
    if (body['provider:segmentation_id'] != null) {
      await onUniqueViolation(insert, () => new TunnelIdInUse(segment as number))
    } else {
      await insert
    }
    return row
  }

  createRoute<NetworkCreate, NetworkRow>(app, db, {
    path: '/v2.0/networks',
    singular: 'network',
    plural: 'networks',
    item: NetworkCreate,
    action: 'create_network',
    insert: insertNetwork,
    render: renderNetworks,
  })

  app.get('/v2.0/networks', async (req) => {
    const ctx = caller(req)
    return listResponse(req, 'networks', networkListSpec, async (pre) => {
      let q = db.selectFrom('networks').selectAll()
      if (!isAdmin(ctx)) {
        q = q.where((eb) =>
          eb.or([
            eb('project_id', '=', ctx.projectId ?? ''),
            eb('shared', '=', true),
            eb('external', '=', true),
          ]),
        )
      }
      q = narrow(q, pre, ['id', 'name'])
      const rows = await q.orderBy('id').execute()
      return renderNetworks(db, ctx, rows)
    })
  })

  app.get<{ Params: { id: string } }>('/v2.0/networks/:id', async (req) => {
    const ctx = caller(req)
    const row = await getVisibleNetwork(db, ctx, req.params.id)
    const [view] = await renderNetworks(db, ctx, [row])
    return { network: view }
  })

  app.put<{ Params: { id: string }; Body: Static<typeof UpdateBody> }>(
    '/v2.0/networks/:id',
    { schema: { body: UpdateBody } },
    async (req) => {
      const ctx = caller(req)
      const changes = req.body.network
      const row = await db.transaction().execute(async (trx) => {
        const current = await getVisibleNetwork(trx, ctx, req.params.id)
        if (current.project_id !== ctx.projectId) requireAdmin(ctx, 'update_network')
        requireWrite(ctx, 'update_network')
        for (const key of [
          'provider:network_type',
          'provider:physical_network',
          'provider:segmentation_id',
          'router:external',
        ] as const) {
          if (changes[key] !== undefined) {
            throw new InvalidInput(`${key} cannot be updated`)
          }
        }
        if (changes.availability_zone_hints !== undefined) {
          throw new InvalidInput('availability_zone_hints cannot be updated; delete and recreate')
        }
        if (changes.shared !== undefined) requireAdmin(ctx, 'update_network:shared')
        const maxMtu = current.network_type === 'vxlan' ? 1450 : 1500
        if (changes.mtu !== undefined && changes.mtu > maxMtu) {
          throw new InvalidInput(`Requested MTU is too big, maximum is ${maxMtu}`)
        }
        const next: NetworkRow = {
          ...current,
          name: changes.name ?? current.name,
          description: changes.description ?? current.description,
          admin_state_up: changes.admin_state_up ?? Boolean(current.admin_state_up),
          shared: changes.shared ?? Boolean(current.shared),
          mtu: changes.mtu ?? current.mtu,
          port_security_enabled:
            changes.port_security_enabled ?? Boolean(current.port_security_enabled),
          revision_number: Number(current.revision_number) + 1,
          updated_at: timestamp(deps.clock.now()),
        }
        await trx.updateTable('networks').set(next).where('id', '=', current.id).execute()
        await enqueueForRegions(trx, deps.jobs, {
          type: 'update_network',
          projectId: current.project_id,
          routingType: 'network',
          id: current.id,
          resource: (pod_id) => ({ pod_id, network_id: current.id }),
        })
        return next
      })
      const [view] = await renderNetworks(db, ctx, [row])
      return { network: view }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/networks/:id', async (req, reply) => {
    const ctx = caller(req)
    await db.transaction().execute(async (trx) => {
      const current = await getVisibleNetwork(trx, ctx, req.params.id)
      if (current.project_id !== ctx.projectId) requireAdmin(ctx, 'delete_network')
      requireWrite(ctx, 'delete_network')
      await deleteNetwork(trx, deps, current)
    })
    return reply.code(204).send()
  })
}

/**
 * Deletes a network with its subnets and the ports Tricircle reserves on it (DHCP and per-region
 * gateway ports); any other port makes it a 409 `NetworkInUse`. The regions holding a copy are
 * told by a job committed with the delete.
 */
export async function deleteNetwork(trx: NetworkDatabase, deps: NetworkDeps, row: NetworkRow) {
  const ports = await trx
    .selectFrom('ports')
    .select(['id', 'device_owner', 'device_id'])
    .where('network_id', '=', row.id)
    .execute()
  const reserved = (p: { device_owner: string; device_id: string }) =>
    p.device_owner === 'network:dhcp' ||
    (p.device_owner === 'network:router_interface' && p.device_id === '')
  if (ports.some((p) => !reserved(p))) throw new NetworkInUse(row.id)
  const portIds = ports.map((p) => p.id)
  if (portIds.length) await deletePortRows(trx, deps, portIds)
  const subnetIds = (
    await trx.selectFrom('subnets').select('id').where('network_id', '=', row.id).execute()
  ).map((s) => s.id)
  if (subnetIds.length) {
    await trx
      .deleteFrom('tags')
      .where('resource_type', '=', 'subnets')
      .where('resource_id', 'in', subnetIds)
      .execute()
    await trx.deleteFrom('subnets').where('id', 'in', subnetIds).execute()
  }
  await trx
    .deleteFrom('tags')
    .where('resource_type', '=', 'networks')
    .where('resource_id', '=', row.id)
    .execute()
  await trx.deleteFrom('networks').where('id', '=', row.id).execute()
  await enqueueForRegions(trx, deps.jobs, {
    type: 'update_network',
    projectId: row.project_id,
    routingType: 'network',
    id: row.id,
    resource: (pod_id) => ({ pod_id, network_id: row.id }),
    dropRoutings: true,
  })
}
