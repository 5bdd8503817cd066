import { caller, isAdmin, uuid, type App, type AuthContext } from '@tricircle/core'
import { formatIp } from '@tricircle/netaddr'
import { Type, type Static } from 'typebox'
import { owningProject, requireAdmin, requireWrite } from './access.js'
import { timestamp } from './common.js'
import type { FloatingIpRow, NetworkDatabase, PortRow } from './db.js'
import type { NetworkDeps } from './deps.js'
import { NetworkNotFound } from './errors.js'
import {
  getVisibleFloatingIp,
  lockFloatingIp,
  queueFloatingIpSetup,
  renderFloatingIps,
  resolveAssociation,
  floatingIpListSpec,
  type Association,
} from './floating-ips-db.js'
import { parseAddressAttr } from './ipam/common.js'
import {
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  IpAddressInUse,
  badRequest,
} from './ipam/errors.js'
import { listResponse } from './listing.js'
import { canSeeNetwork } from './networks.js'
import { chooseFixedIps, type FixedIpRequest } from './port-addresses.js'
import { deletePort, insertPort } from './ports.js'
import { checkQuota } from './quotas.js'
import { FLOATINGIP_OWNER, elevated } from './router-db.js'
import { ExternalIpAddressExhausted } from './router-errors.js'
import { createRoute, narrow } from './resource-routes.js'

export { disassociateFloatingIps, renderFloatingIps } from './floating-ips-db.js'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()])
const FloatingIpCreate = Type.Object(
  {
    floating_network_id: Type.String({ minLength: 1 }),
    floating_ip_address: Type.Optional(Nullable(Type.String())),
    subnet_id: Type.Optional(Nullable(Type.String())),
    port_id: Type.Optional(Nullable(Type.String())),
    fixed_ip_address: Type.Optional(Nullable(Type.String())),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    qos_policy_id: Type.Optional(Type.Null()),
    project_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tenant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
)
type FloatingIpCreate = Static<typeof FloatingIpCreate>
const FloatingIpUpdate = Type.Object(
  {
    port_id: Type.Optional(Nullable(Type.String())),
    fixed_ip_address: Type.Optional(Nullable(Type.String())),
    description: Type.Optional(Type.String({ maxLength: 255 })),
    qos_policy_id: Type.Optional(Type.Null()),
  },
  { additionalProperties: false },
)
type FloatingIpUpdate = Static<typeof FloatingIpUpdate>

/**
 * `/v2.0/floatingips`: Neutron's floating IPs on Tricircle's terms. An address is a port on the
 * external network (`device_owner` network:floatingip, `device_id` the floating IP, no project,
 * status N/A, as Neutron makes it); the floating IP is DOWN until associated, then ACTIVE;
 * associating and disassociating queue `router_setup` where the internal port is bound.
 */
export function floatingIpRoutes(app: App, deps: NetworkDeps): void {
  const { db } = deps

  createRoute<FloatingIpCreate, FloatingIpRow>(app, db, {
    path: '/v2.0/floatingips',
    singular: 'floatingip',
    plural: 'floatingips',
    item: FloatingIpCreate,
    action: 'create_floatingip',
    insert: (trx, ctx, item) => createFloatingIp(trx, deps, ctx, item),
    render: (d, _ctx, rows) => renderFloatingIps(d, rows),
  })

  app.get('/v2.0/floatingips', async (req) => {
    const ctx = caller(req)
    const columns = [
      'id',
      'floating_network_id',
      'floating_ip_address',
      'port_id',
      'router_id',
      'fixed_ip_address',
      'status',
    ] as const
    return listResponse(
      req,
      'floatingips',
      floatingIpListSpec,
      async (pre) => {
        let q = db.selectFrom('floating_ips').selectAll()
        if (!isAdmin(ctx)) q = q.where('project_id', '=', ctx.projectId ?? '')
        q = narrow(q, pre, columns)
        return renderFloatingIps(db, await q.orderBy('id').execute())
      },
      columns,
    )
  })

  app.get<{ Params: { id: string } }>('/v2.0/floatingips/:id', async (req) => {
    const row = await getVisibleFloatingIp(db, caller(req), req.params.id)
    return { floatingip: (await renderFloatingIps(db, [row]))[0] }
  })

  app.put<{ Params: { id: string }; Body: { floatingip: FloatingIpUpdate } }>(
    '/v2.0/floatingips/:id',
    { schema: { body: Type.Object({ floatingip: FloatingIpUpdate }) } },
    async (req) => {
      const ctx = caller(req)
      const row = await db.transaction().execute(async (trx) => {
        await lockFloatingIp(trx, req.params.id)
        const current = await getVisibleFloatingIp(trx, ctx, req.params.id)
        requireWrite(ctx, 'update_floatingip')
        return updateFloatingIp(trx, deps, ctx, current, req.body.floatingip)
      })
      return { floatingip: (await renderFloatingIps(db, [row]))[0] }
    },
  )

  app.delete<{ Params: { id: string } }>('/v2.0/floatingips/:id', async (req, reply) => {
    const ctx = caller(req)
    await db.transaction().execute(async (trx) => {
      await lockFloatingIp(trx, req.params.id)
      const current = await getVisibleFloatingIp(trx, ctx, req.params.id)
      requireWrite(ctx, 'delete_floatingip')
      await deleteFloatingIp(trx, deps, current)
    })
    return reply.code(204).send()
  })
}

/**
 * Neutron's `_create_floatingip`: the network must be visible (404), external and hold an IPv4
 * subnet (400); the address port is created first (a requested address that is taken is a 409
 * `IpAddressInUse`; naming the address is admin only, as in Neutron's policy), then the
 * association is resolved as an update would.
 */
async function createFloatingIp(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  body: FloatingIpCreate,
): Promise<FloatingIpRow> {
  const projectId = owningProject(ctx, body, 'create_floatingip')
  if (body.floating_ip_address != null) {
    requireAdmin(ctx, 'create_floatingip:floating_ip_address')
  }
  const network = await trx
    .selectFrom('networks')
    .selectAll()
    .where('id', '=', body.floating_network_id)
    .executeTakeFirst()
  if (!network || !canSeeNetwork(ctx, network)) {
    throw new NetworkNotFound(body.floating_network_id)
  }
  if (!network.external) {
    throw badRequest('floatingip', `Network ${network.id} is not a valid external network`)
  }
  const v4Subnets = await trx
    .selectFrom('subnets')
    .select('id')
    .where('network_id', '=', network.id)
    .where('ip_version', '=', 4)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  if (v4Subnets.length === 0) {
    throw badRequest('floatingip', `Network ${network.id} does not contain any IPv4 subnet`)
  }
  if (body.fixed_ip_address && !body.port_id) {
    throw badRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id')
  }
  await checkQuota(trx, deps.config.quota, projectId, 'floatingip')

  const id = uuid()
  let requested: FixedIpRequest[] | undefined
  let address: string | undefined
  if (body.floating_ip_address != null || body.subnet_id != null) {
    if (body.floating_ip_address != null) {
      address = formatIp(parseAddressAttr('floating_ip_address', body.floating_ip_address))
    }
    requested = [
      {
        ...(body.subnet_id != null ? { subnet_id: body.subnet_id } : {}),
        ...(address !== undefined ? { ip_address: address } : {}),
      },
    ]
  } else {
    // Only an IPv4 address: the first IPv4 subnet with room (a dry run, nothing is written).
    for (const subnet of v4Subnets) {
      try {
        await chooseFixedIps(trx, network.id, [{ subnet_id: subnet.id }], {
          deviceOwner: FLOATINGIP_OWNER,
          mac: '',
        })
        requested = [{ subnet_id: subnet.id }]
        break
      } catch (error) {
        if (!(error instanceof IpAddressGenerationFailure)) throw error
      }
    }
    if (!requested) throw new IpAddressGenerationFailure({ networkId: network.id })
  }
  let port: PortRow
  try {
    port = await insertPort(
      trx,
      deps,
      elevated(ctx),
      {
        network_id: network.id,
        project_id: '',
        name: '',
        admin_state_up: true,
        device_id: id,
        device_owner: FLOATINGIP_OWNER,
        fixed_ips: requested,
      },
      { skipQuota: true },
    )
  } catch (error) {
    if (error instanceof IpAddressAlreadyAllocated && address !== undefined) {
      throw new IpAddressInUse(network.id, address)
    }
    throw error
  }
  await trx.updateTable('ports').set({ status: 'N/A' }).where('id', '=', port.id).execute()
  const allocations = await trx
    .selectFrom('ip_allocations')
    .select('ip_address')
    .where('port_id', '=', port.id)
    .execute()
  const floatingAddress = allocations.find((a) => !a.ip_address.includes(':'))?.ip_address
  if (floatingAddress === undefined) throw new ExternalIpAddressExhausted(network.id)

  const now = timestamp(deps.clock.now())
  const draft: FloatingIpRow = {
    id,
    project_id: projectId,
    floating_network_id: network.id,
    floating_ip_address: floatingAddress,
    floating_port_id: port.id,
    port_id: null,
    fixed_ip_address: null,
    router_id: null,
    status: 'DOWN',
    description: body.description ?? '',
    revision_number: 1,
    created_at: now,
    updated_at: now,
  }
  const association = body.port_id
    ? await resolveAssociation(trx, ctx, draft, body.port_id, body.fixed_ip_address)
    : undefined
  const row = associate(draft, association)
  await trx.insertInto('floating_ips').values(row).execute()
  if (association) await queueFloatingIpSetup(trx, deps, association.routerId, association.port.id)
  return row
}

const associate = (row: FloatingIpRow, a: Association | undefined): FloatingIpRow => ({
  ...row,
  port_id: a?.port.id ?? null,
  fixed_ip_address: a?.fixedIp ?? null,
  router_id: a?.routerId ?? null,
  status: a ? 'ACTIVE' : 'DOWN',
})

/**
 * Neutron's `_update_fip_assoc`: `port_id` associates (or moves), `null` disassociates, absent
 * keeps the association (re-checked); `fixed_ip_address` needs a port. Jobs go to the old and the
 * new internal port's pods when the association changes.
 */
async function updateFloatingIp(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  ctx: AuthContext,
  current: FloatingIpRow,
  changes: FloatingIpUpdate,
): Promise<FloatingIpRow> {
  if (changes.fixed_ip_address && !changes.port_id) {
    throw badRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id')
  }
  let association: Association | undefined
  if (changes.port_id) {
    association = await resolveAssociation(
      trx,
      ctx,
      current,
      changes.port_id,
      changes.fixed_ip_address,
    )
  } else if (changes.port_id === undefined && current.port_id) {
    association = await resolveAssociation(
      trx,
      ctx,
      current,
      current.port_id,
      current.fixed_ip_address,
    )
  }
  const next: FloatingIpRow = {
    ...associate(current, association),
    description: changes.description ?? current.description,
    revision_number: Number(current.revision_number) + 1,
    updated_at: timestamp(deps.clock.now()),
  }
  await trx.updateTable('floating_ips').set(next).where('id', '=', current.id).execute()
  const changed =
    next.port_id !== current.port_id ||
    next.router_id !== current.router_id ||
    next.fixed_ip_address !== current.fixed_ip_address
  if (changed) {
    if (current.port_id && current.router_id) {
      await queueFloatingIpSetup(trx, deps, current.router_id, current.port_id)
    }
    if (next.port_id && next.router_id) {
      await queueFloatingIpSetup(trx, deps, next.router_id, next.port_id)
    }
  }
  return next
}

/** Tricircle's delete: disassociate (jobs), then the floating IP and its port go. */
export async function deleteFloatingIp(
  trx: NetworkDatabase,
  deps: NetworkDeps,
  row: FloatingIpRow,
): Promise<void> {
  if (row.port_id && row.router_id) {
    await queueFloatingIpSetup(trx, deps, row.router_id, row.port_id)
  }
  await trx
    .deleteFrom('tags')
    .where('resource_type', '=', 'floatingips')
    .where('resource_id', '=', row.id)
    .execute()
  await trx.deleteFrom('floating_ips').where('id', '=', row.id).execute()
  const port = await trx
    .selectFrom('ports')
    .selectAll()
    .where('id', '=', row.floating_port_id)
    .executeTakeFirst()
  if (port) await deletePort(trx, deps, port)
}
